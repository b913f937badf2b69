# httpd's own filters in front of the module, and the shared cache.
#
# mod_deflate and mod_brotli compress pages and feeds and send our ETag with
# "-gzip" or "-br" inside the quotes; a client revalidating with that tag gets
# its 304.  ArticlesCacheControl sets the Cache-Control of a location's pages.
# The shared response cache answers a process that never rendered the page.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use LWP::UserAgent;
use Time::HiRes qw(time);
use lib 't/lib';
use ArticlesTest qw(spread_requests);

plan tests => 24, need_module('mod_deflate.c', 'mod_brotli.c');

Apache::TestRequest::user_agent(reset => 1, keep_alive => 1,
                                requests_redirectable => 0);

my $page = '/en/european-languages/rethinking-pakistans-afghan-policy';

# ---------------------------------------------------------------- deflate
for my $case (['gzip', '/compressed', 'gzip'], ['br', '/brotli', 'br']) {
    my ($enc, $base, $suffix) = @$case;
    for my $path ($page, '/en/feed.atom') {
        my $res = GET("$base$path", 'Accept-Encoding' => $enc);
        my $etag = $res->header('ETag') // '';
        ok t_cmp($res->code . ' ' . ($res->header('Content-Encoding') // 'none'),
                 "200 $enc", "$enc: $path compressed");
        ok t_cmp($etag, qr/^"[0-9a-f]+-\Q$suffix\E"$/, "$enc: the ETag carries -$suffix");
        my $cond = GET("$base$path", 'Accept-Encoding' => $enc,
                       'If-None-Match' => $etag);
        ok t_cmp($cond->code, 304, "$enc: If-None-Match with the $suffix ETag: 304");
        ok t_cmp(length($cond->content), 0, "$enc: no body");
    }
}
my $gz = GET("/compressed$page", 'Accept-Encoding' => 'gzip');
my $other = $gz->header('ETag');
$other =~ s/^"(.)/"f$1/;
ok t_cmp(GET("/compressed$page", 'Accept-Encoding' => 'gzip',
             'If-None-Match' => $other)->code, 200, 'another -gzip ETag: 200');
my $plain = GET("/compressed$page");
ok t_cmp(GET("/compressed$page", 'If-None-Match' => $plain->header('ETag'))->code,
         304, 'the uncompressed ETag still gets its 304');
ok t_cmp($gz->header('Vary'), qr/Accept-Encoding/, 'Vary: Accept-Encoding');

# ---------------------------------------------------------------- Cache-Control
ok t_cmp($gz->header('Cache-Control'), 'public, max-age=60',
         'ArticlesCacheControl sets the header');
ok t_cmp(GET($page)->header('Cache-Control'), undef, 'none by default');
ok t_cmp(GET('/compressed/', 'Accept-Language' => 'en')->header('Cache-Control'),
         'private, max-age=0', 'the root redirect stays private');

# ---------------------------------------------------------------- shared cache
# One request renders the page; fresh connections in parallel then reach other
# processes (prefork), and each of them answers from the shared cache.
if (($ENV{ART_MPM} // '') eq 'prefork') {
    my $url = 'http://' . Apache::TestRequest::hostport()
        . "/shared$page?cross-" . time;
    LWP::UserAgent->new(keep_alive => 0)->get($url);
    my ($sent, $procs, $log) = spread_requests($url, 'ART0013');
    my $hits = () = $log =~ /ART0013/g;
    ok t_cmp($procs >= 2, 1, 'hits served by two or more processes');
    ok t_cmp($hits, $sent, 'rendered once, every later request a hit');
}
else {
    skip 'the shared cache across processes: prefork only' for 1 .. 2;
}
