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
use ArticlesTest qw(sample_articles site_info);

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

# 'dated' when the feed and each of its entries (one at least) carry exactly
# one <updated>, and each entry one <published>, all RFC 3339 in UTC.
sub dated {
    my $xml = shift;
    my $rfc = qr{\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ};
    my @entries = $xml =~ m{<entry\b[^>]*>(.*?)</entry>}sg;
    (my $head = $xml) =~ s{<entry\b.*}{}s;
    return 'no entries' unless @entries;
    return 'feed <updated>' unless 1 == (() = $head =~ m{<updated>$rfc</updated>}g);
    for my $e (@entries) {
        for my $tag (qw(updated published)) {
            my @all = $e =~ m{<$tag>([^<]*)</$tag>}g;
            return "entry <$tag>: @all" unless @all == 1 && $all[0] =~ /^$rfc$/;
        }
    }
    return 'dated';
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
    ok t_cmp(dated($xml), 'dated', "$url: the feed and each entry have one RFC 3339 <updated>");
}

my $res = GET '/en/feed.atom';
my @entries = $res->content =~ m{<entry\b[^>]*>(.*?)</entry>}sg;
my @published = map { m{<published>([^<]+)</published>} ? $1 : 'none' } @entries;
ok t_cmp(@published > 1 ? join(' ', @published) : 'fewer than two entries',
         join(' ', sort { $b cmp $a } @published), 'entries are newest first');
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
my %loc = map { $_ => 1 } $map =~ m{<loc>([^<]+)</loc>}g;
my @pages = ((map { "$site/$_->{lang}/$_->{collection}/$_->{id}" } sample_articles()),
             (map { "$site/$_->{code}/" } @{ site_info()->{langs} }));
my @missing = grep { !$loc{$_} } @pages;
ok t_cmp(@missing ? "missing: @missing" : 'all pages', 'all pages',
         'the sitemap has a <loc> for every article and every language index');
