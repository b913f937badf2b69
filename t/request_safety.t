# What a filter may send (issue #12): r:redirect stays on the site as a
# browser resolves the location (the full table is t/unit/redirect_test.c),
# r:set_header refuses hop-by-hop, framing and module-set headers, a filter
# returns only the statuses lua/README.md lists, and a redirect or status
# chosen after reading the request names what it read in Vary and carries the
# headers the filter set.  With the
# cache on, a path holding "?" (%3F) is not the page with that query.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use URI::Escape qw(uri_escape);
use lib 't/lib';
use ArticlesTest qw(error_log_size error_log_since);

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my $base = '/lua/reqsafe/en/';
sub act { my ($k, $v, @h) = @_; GET("$base?$k=" . uri_escape($v), @h) }

# Locations: [url, accepted].  Absolute ones name www.afgazad.com, the host
# ArticlesRedirectHosts allows in t/conf/extra.conf.in.
my @locations = (
    [ '/fa/', 1 ],
    [ '?page=2', 1 ],
    [ 'HTTPS://WWW.AFGAZAD.COM/fa/', 1 ],
    [ 'https://www.afgazad.com:8443/fa/', 1 ],
    [ '//www.afgazad.com/fa/', 1 ],
    [ '/\\evil.example/', 0 ],
    [ '\\\\evil.example/', 0 ],
    [ '//evil.example/', 0 ],
    [ '///evil.example/', 0 ],
    [ "/\t/evil.example/", 0 ],
    [ " //evil.example/", 0 ],
    [ "\x01//evil.example/", 0 ],
    [ 'http:evil.example', 0 ],
    [ 'hTtPs://evil.example/', 0 ],
    [ 'https://www.afgazad.com:443@evil.example/', 0 ],
    [ 'https://www.afgazad.com@evil.example/', 0 ],
    [ 'https://evil%2Eexample/', 0 ],
    [ "https://\xef\xbd\x85vil.example/", 0 ],
    [ 'javascript:alert(1)', 0 ],
    [ "/x\0//evil.example", 0 ],
);

# Headers: [name, refused].
my @headers = (
    [ 'X-Fine', 0 ], [ 'Cache-Control', 0 ], [ 'Set-Cookie', 0 ],
    [ 'Transfer-Encoding', 1 ], [ 'transfer-encoding', 1 ], [ 'Connection', 1 ],
    [ 'Upgrade', 1 ], [ 'Content-Length', 1 ], [ 'Keep-Alive', 1 ], [ 'TE', 1 ],
    [ 'Trailer', 1 ], [ 'Proxy-Authenticate', 1 ], [ 'Content-Encoding', 1 ],
    [ 'Content-Type', 1 ], [ 'Location', 1 ], [ 'ETag', 1 ], [ 'Date', 1 ],
    [ 'Server', 1 ], [ 'Host', 1 ],
);

# Statuses a filter returns: [status, sent as].
my @statuses = (
    [ 101, 500 ], [ 100, 500 ], [ 200, 500 ], [ 204, 500 ], [ 206, 500 ],
    [ 302, 500 ], [ 304, 500 ], [ 407, 500 ], [ 413, 500 ], [ 426, 500 ],
    [ 403, 403 ], [ 404, 404 ], [ 410, 410 ], [ 451, 451 ], [ 503, 503 ],
);

plan tests => 2 * @locations + @headers + 2 + @statuses + 3 + 8 + 2 + 3;

for my $l (@locations) {
    my ($url, $ok) = @$l;
    (my $shown = $url) =~ s/([^\x21-\x7e])/sprintf '\\x%02x', ord $1/ge;
    my $res = act(redirect => $url);
    ok t_cmp($res->code, $ok ? 302 : 500,
             ($ok ? 'accepted: ' : 'refused: ') . $shown);
    ok t_cmp($res->header('Location') // '(none)', $ok ? $url : '(none)',
             "Location for $shown");
}

my $offset = error_log_size();
for my $h (@headers) {
    my ($name, $refused) = @$h;
    my $res = act(header => $name);
    ok t_cmp($res->code, $refused ? 500 : 200,
             ($refused ? 'refused' : 'allowed') . " by r:set_header: $name");
}
my $log = error_log_since($offset);
ok t_cmp($log, qr{r:set_header may not set Transfer-Encoding \(hop-by-hop\)},
         'the error log says which header and why');
ok t_cmp(act(unset => 'Content-Length')->code, 500,
         'removing a framing header is refused too');

for my $s (@statuses) {
    my ($status, $sent) = @$s;
    ok t_cmp(act(status => $status)->code, $sent, "a filter returns $status");
}
$offset = error_log_size();
my $res = act(redir_then => 302);
ok t_cmp($res->code, 500, 'a 3xx other than the one r:redirect returned');
ok t_cmp(error_log_since($offset), qr{ART0302: a filter returned status 302},
         'logged with the status');
ok t_cmp(act(redir_then => 301)->code, 301, 'the status r:redirect returned');

# Vary on responses a filter chooses.
$res = act(lang_redirect => 1, 'Accept-Language' => 'fa');
ok t_cmp($res->code, 302, 'redirect chosen from Accept-Language');
ok t_cmp($res->header('Location'), '/fa/', 'to the language read');
ok t_cmp($res->header('Vary') // '', qr{\bAccept-Language\b},
         'the redirect varies on Accept-Language');
$res = act(cookie_status => 403, Cookie => 'edition=closed');
ok t_cmp($res->code, 403, 'status chosen from a cookie');
ok t_cmp($res->header('Vary') // '', qr{\bCookie\b}, 'the status varies on Cookie');
$res = act(header_404 => 1, 'X-Variant' => 'gone');
ok t_cmp($res->code, 404, '404 chosen from a header');
ok t_cmp($res->header('Vary') // '', qr{\bX-Variant\b},
         'the 404 page varies on the header');
$res = act(cookie_status => 403, Cookie => 'edition=open');
ok t_cmp($res->header('Vary') // '', qr{\bCookie\b},
         'and the page the other readers get does too');

# httpd sends only err_headers_out with redirects and error statuses: what the
# filter set must be there.
$res = act(cookie_redirect => 1);
ok t_cmp($res->code . ' ' . ($res->header('Set-Cookie') // '(none)'),
         '302 lang=fa; Path=/', 'a cookie set before r:redirect goes out with it');
$res = act(retry => 503);
ok t_cmp($res->code . ' ' . ($res->header('Retry-After') // '(none)'), '503 120',
         'Retry-After goes out with the 503 a filter returns');

# The cache key: "/slug?a" with query "b" and "/slug" with query "a?b" were one
# key, so a cached article answered a URL that is no page.
my $page = '/cache-on/en/european-languages/rethinking-pakistans-afghan-policy';
ok t_cmp(GET("$page?a?b")->code, 200, 'the article with a query holding "?"');
ok t_cmp(GET("$page?a?b")->code, 200, 'again, from the cache');
ok t_cmp(GET("$page%3Fa?b")->code, 404, 'a path holding "?" is not that article');
