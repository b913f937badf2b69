# The sample site mounted below a prefix (<Location "/mounted/news"> in
# t/conf/extra.conf.in, which only says SetHandler articles and inherits the
# rest from "/"): the root redirects inside the prefix, and every link a page
# carries (href, src, action that is a path), its canonical URL and its
# alternates carry the prefix (conf/page-model.md: "All URLs are absolute paths
# that already carry the <Location> prefix").
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(site_info request links html_of);

my $P = '/mounted/news';
my $site = site_info('conf/sample/repo');
my $SITE_URL = $site->{url};
my $DEFAULT = $site->{default_lang};
my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

# [ path below the prefix, expected status, language ]
my @pages = (
    [ $seed, 200, 'en' ],
    [ '/de/european-languages/rethinking-pakistans-afghan-policy', 200, 'de' ],
    [ '/en/', 200, 'en' ],
    [ '/fa/', 200, 'fa' ],
    [ '/en/?page=2', 200, 'en' ],
    [ '/fa/dari-pashto/', 200, 'fa' ],
    [ '/ps/dari-pashto/landay', 200, 'ps' ],
    [ '/en/authors/', 200, 'en' ],
    [ '/fa/authors/nasrin-rahimi', 200, 'fa' ],
    [ '/en/tags/pakistan', 200, 'en' ],
    [ '/fa/nope', 404, 'fa' ],
);

# [ description, request headers, expected language ]
my @negotiation = (
    [ 'cookie lang=fa beats Accept-Language', [ Cookie => 'lang=fa', 'Accept-Language' => 'ps' ], 'fa' ],
    [ 'Accept-Language ps-AF,fa;q=0.5', [ 'Accept-Language' => 'ps-AF,fa;q=0.5' ], 'ps' ],
    [ 'Accept-Language de-CH', [ 'Accept-Language' => 'de-CH' ], 'de' ],
    [ 'Accept-Language fr only', [ 'Accept-Language' => 'fr' ], $DEFAULT ],
);

plan tests => 3 + @negotiation + 2 + 6 * @pages + 4;

{
    my $res = request(GET => "$P/");
    ok t_cmp($res->code, 302, "$P/ answers 302");
    ok t_cmp($res->header('Location') // '', qr{^(?:\Q$SITE_URL\E)?\Q$P\E/$DEFAULT/$},
             "$P/ redirects to $P/$DEFAULT/");
    ok t_cmp(lc($res->header('Vary') // ''), qr/accept-language.*cookie|cookie.*accept-language/,
             "$P/: Vary names Accept-Language and Cookie");
}
for my $n (@negotiation) {
    my ($desc, $headers, $want) = @$n;
    my $res = request(GET => "$P/", @$headers);
    ok t_cmp($res->code . ' ' . ($res->header('Location') // ''),
             qr{^302 (?:\Q$SITE_URL\E)?\Q$P\E/$want/$}, "$P/: $desc -> $want");
}
{
    my $res = request(GET => "$P/en");
    ok t_cmp($res->code . ' ' . ($res->header('Location') // ''),
             qr{^301 (?:\Q$SITE_URL\E)?\Q$P\E/en/$}, "$P/en -> 301 $P/en/");
    $res = request(GET => "$P/en/european-languages");
    ok t_cmp($res->code . ' ' . ($res->header('Location') // ''),
             qr{^301 (?:\Q$SITE_URL\E)?\Q$P\E/en/european-languages/$},
             "$P/en/european-languages -> 301 with the slash, inside the prefix");
}

for my $p (@pages) {
    my ($path, $code, $lang) = @$p;
    my $url = "$P$path";
    my $res = request(GET => $url);
    my $html = html_of($res);
    ok t_cmp($res->code, $code, "$url answers $code");
    ok t_cmp($html, qr{<html lang="$lang" dir="$site->{dir}{$lang}"}, "$url: <html lang=\"$lang\">");

    my @l = links($html);
    my @paths = grep { $_->{value} =~ m{^/} } @l;
    my @outside = map { "$_->{tag} $_->{attr}=\"$_->{value}\"" }
                  grep { index($_->{value}, "$P/") != 0 } @paths;
    ok t_cmp(scalar(@paths) > 3 ? 'has links' : 'few links', 'has links',
             "$url: the page links to other pages of the site");
    ok t_cmp(join("\n", @outside), '', "$url: every path in href/src/action starts with $P/");

    my ($canon) = map { $_->{value} } grep { $_->{tag} eq 'link' && ($_->{rel} // '') eq 'canonical' } @l;
    (my $plain = $path) =~ s/\?.*//;
    # A 404 page has no URL of its own to point to; its canonical must
    # still be inside the mount.
    ok t_cmp($canon // 'none', $code == 200 ? qr{^\Q$SITE_URL$P$plain\E(?:\?|$)} : qr{^\Q$SITE_URL$P\E/},
             "$url: canonical carries the prefix");
    my @alt_out = map { "$_->{hreflang}=$_->{value}" }
                  grep { $_->{tag} eq 'link' && defined $_->{hreflang}
                         && index($_->{value}, "$SITE_URL$P/") != 0 } @l;
    ok t_cmp(join(' ', @alt_out), '', "$url: every hreflang alternate carries the prefix");
}

# The seed page itself, in full: the German alternate and the section link.
{
    my $html = html_of(request(GET => "$P$seed"));
    my %alt = map { $_->{hreflang} => $_->{value} } grep { defined $_->{hreflang} && $_->{tag} eq 'link' } links($html);
    ok t_cmp($alt{de} // '', "$SITE_URL$P/de/european-languages/rethinking-pakistans-afghan-policy",
             'seed: hreflang="de" alternate under the prefix');
    ok t_cmp($html, qr{<link rel="canonical" href="\Q$SITE_URL$P$seed\E">}, 'seed: canonical under the prefix');
    ok t_cmp($html, qr{href="\Q$P\E/en/european-languages/"}, 'seed: the section link is under the prefix');
    ok t_cmp($html, qr{href="\Q$P\E/en/authors/abbas-hashemite"}, 'seed: the author link is under the prefix');
}
