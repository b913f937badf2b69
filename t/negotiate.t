# Language negotiation at the root (issue #4): the lang cookie, then
# Accept-Language (RFC 4647 basic filtering with RFC 9110 q-values), then
# default-lang.  The sample site has en (default), fa, ps and de.  Each case
# is asked twice: at "/" where lua/language.lua decides, and at "/plain/"
# where no filter runs and the module's own negotiation must agree.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(timed quick QUICK);

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my @cases = (
    # Accept-Language, cookie, expected, why
    [ undef,                          undef, 'en', 'no header: default-lang' ],
    [ 'fa',                           undef, 'fa', 'exact' ],
    [ 'FA',                           undef, 'fa', 'case-insensitive' ],
    [ 'fa-AF',                        undef, 'fa', 'region falls back (fa-AF)' ],
    [ 'ps-AF',                        undef, 'ps', 'region falls back (ps-AF)' ],
    [ 'de-CH',                        undef, 'de', 'region falls back (de-CH)' ],
    [ 'ps-Arab-AF;q=0.7, zh-Hant-TW', undef, 'ps', 'script and region fall back' ],
    [ 'fr',                           undef, 'en', 'unknown language: default' ],
    [ 'fr, de;q=0.5',                 undef, 'de', 'first acceptable one' ],
    [ 'en;q=0.5, fa;q=0.8',           undef, 'fa', 'higher q wins' ],
    [ 'fa;q=0, en;q=0.1',             undef, 'en', 'q=0 excludes' ],
    [ 'fa;q=0',                       undef, 'en', 'only exclusions: default' ],
    [ 'ps-af;q=0.5, ps;q=0',          undef, 'en', 'the more specific range decides (q=0)' ],
    [ '*',                            undef, 'en', 'wildcard is the default' ],
    [ '*;q=0.5, ps',                  undef, 'ps', 'explicit beats wildcard' ],
    [ 'de;q=0.5, *;q=0.9',            undef, 'en', 'wildcard with higher q' ],
    [ 'ps;q=0.9, fa;q=0.9',           undef, 'ps', 'tie keeps header order (ps first)' ],
    [ 'fa;q=0.9, ps;q=0.9',           undef, 'fa', 'tie keeps header order (fa first)' ],
    [ 'de;q=1.0, en;q=1',             undef, 'de', 'q=1.0 equals q=1' ],
    [ 'de;q=1.001, fa;q=0.1',         undef, 'fa', 'q over 1 is malformed and ignored' ],
    [ 'de;q=abc, ps;q=0.2',           undef, 'ps', 'non-numeric q is ignored' ],
    [ 'de;q=',                        undef, 'en', 'empty q is ignored' ],
    [ 'en-US,en;q=0.9,fa;q=0.8',      undef, 'en', 'a browser default' ],
    [ 'fa-IR;q=0.2, de-AT;q=0.3',     undef, 'de', 'regions with q' ],
    [ '  fa ;  q=0.5 , de ; q=0.4 ',  undef, 'fa', 'white space around parts' ],
    [ 'x-klingon, fa',                undef, 'fa', 'private-use tag skipped' ],
    [ ',,,;;;===',                    undef, 'en', 'garbage' ],
    [ 'fa',                           'ps',  'ps', 'cookie beats the header' ],
    [ 'fa',                           'xx',  'fa', 'unknown cookie is ignored' ],
    [ undef,                          'de',  'de', 'cookie alone' ],
);

plan tests => 2 * @cases + 6;

for my $c (@cases) {
    my ($header, $cookie, $want, $why) = @$c;
    for my $base ('', '/plain') {
        my @h;
        push @h, 'Accept-Language' => $header if defined $header;
        push @h, Cookie => "lang=$cookie" if defined $cookie;
        my $res = GET "$base/", @h;
        my $got = $res->code == 302 ? ($res->header('Location') // '') : $res->code;
        ok t_cmp($got, qr{^(?:https?://[^/]+)?\Q$base\E/\Q$want\E/$},
                 ($base || '/') . ": $why");
    }
}

my $res = GET '/', 'Accept-Language' => 'fa';
ok t_cmp($res->header('Vary') // '', qr{Accept-Language.*Cookie|Cookie.*Accept-Language},
         'Vary names Accept-Language and Cookie');

# Hostile headers get a quick, sane answer.  httpd itself refuses header
# fields over 8190 bytes (LimitRequestFieldSize), so a header carries at most
# about 4,000 ranges; 10,000 are tried from Lua below.
(my $took, $res) = timed(sub { GET '/', 'Accept-Language' => ('x,' x 4000) . 'ps' });
ok t_cmp($res->code, 302, '4,000 ranges: still a redirect');
ok t_cmp(quick($took), 'quick', '4,000 ranges: answered within ' . QUICK . ' s');

# articles.negotiate from a filter: region fallback, an explicit list of
# languages, "*" as the site default only when it is offered, no header, and
# 10,000 ranges (only the first 64 are read: a sane "nil", quickly).  The
# whole request is timed from here: os.clock in a filter is the CPU time of
# the whole process, every thread's, not this request's.
($took, $res) = timed(sub { GET('/lua/negotiate/en/') });
my ($seen) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
ok t_cmp($seen // '', 'fa|nil|en|nil|nil', 'articles.negotiate from Lua');
ok t_cmp(quick($took), 'quick', '10,000 ranges from Lua: answered within ' . QUICK . ' s');
$res = GET '/', 'Accept-Language' => ('a' x 8000);
ok t_cmp($res->header('Location') // '', qr{/en/$}, 'an 8 KB header: default-lang');
