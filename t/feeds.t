# Atom feeds of every list page and /sitemap.xml (SPEC §3): well-formed XML
# (xmllint), the right media types, entries newest first with absolute ids,
# RFC 3339 dates, and the sitemap's hreflang alternates for translations.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Encode ();
use File::Temp ();
use lib 't/lib';

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my $site = 'https://www.afgazad.com';
my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

my @feeds = (
    # feed, its HTML page, an entry it must have
    [ '/en/feed.atom', '/en/', $seed ],
    [ '/en/european-languages/feed.atom', '/en/european-languages/', $seed ],
    [ '/en/authors/abbas-hashemite/feed.atom', '/en/authors/abbas-hashemite', $seed ],
    [ '/en/tags/pakistan/feed.atom', '/en/tags/pakistan', $seed ],
    [ '/fa/feed.atom', '/fa/', '/fa/dari-pashto/zaban-dari' ],
);

plan tests => 7 * @feeds + 8;

sub well_formed {
    my $xml = shift;
    my $tmp = File::Temp->new(SUFFIX => '.xml');
    print $tmp $xml;
    close $tmp;
    my $out = `xmllint --noout $tmp 2>&1`;
    return $? == 0 ? 'well-formed' : "xmllint: $out";
}

for my $f (@feeds) {
    my ($url, $page, $entry) = @$f;
    my $res = GET $url;
    my $xml = $res->content;
    ok t_cmp($res->code, 200, "$url answers 200");
    ok t_cmp($res->header('Content-Type') // '', qr{^application/atom\+xml}, "$url is Atom");
    ok t_cmp(well_formed($xml), 'well-formed', "$url is well-formed XML");
    ok t_cmp($xml, qr{<feed xmlns="http://www\.w3\.org/2005/Atom"}, "$url is an Atom feed");
    ok t_cmp($xml, qr{<link rel="alternate" type="text/html" href="\Q$site$page\E"/>},
             "$url links its HTML page");
    ok t_cmp($xml, qr{<entry[^>]*>\s*<id>\Q$site$entry\E</id>}, "$url has $entry");
    my @dates = $xml =~ m{<updated>([^<]+)</updated>}g;
    ok t_cmp(scalar(grep { !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/ } @dates), 0,
             "$url: every <updated> is RFC 3339");
}

my $res = GET '/en/feed.atom';
my @published = $res->content =~ m{<published>([^<]+)</published>}g;
ok t_cmp(join(' ', @published), join(' ', sort { $b cmp $a } @published),
         'entries are newest first');
ok t_cmp(GET('/en/authors/feed.atom')->code, 404, 'the authors index has no feed');
ok t_cmp(GET('/en/nope/feed.atom')->code, 404, 'an unknown list has no feed');
ok t_cmp(GET('/en/')->content, qr{<link rel="alternate" type="application/atom\+xml" href="/en/feed\.atom"},
         'a list page links its feed');

$res = GET '/sitemap.xml';
my $map = Encode::decode('UTF-8', $res->content);
ok t_cmp($res->header('Content-Type') // '', qr{^application/xml}, 'sitemap media type');
ok t_cmp(well_formed($res->content), 'well-formed', 'sitemap is well-formed XML');
ok t_cmp($map, qr{<url>\s*<loc>\Q$site$seed\E</loc>\s*<lastmod>[^<]+</lastmod>\s*(?:<xhtml:link [^>]+>\s*)*<xhtml:link rel="alternate" hreflang="de" href="\Q$site\E/de/european-languages/rethinking-pakistans-afghan-policy"/>}s,
         'the seed article has its German translation as an alternate');
my $n = () = $map =~ /<url>/g;
my @files = grep { !m{/collection\.xml$} } glob('conf/sample/repo/*/*/*.xml');
ok t_cmp($n >= @files + 4 ? 'all pages' : "only $n", 'all pages',
         'the sitemap lists every article and every language index');
