# ArticlesCache: a page is served again from the process's cache only when
# the URL, every request input the filters read (header, cookie, method) and
# the generations of repository, templates and filter code are the same; a
# filter that reads the clock, random numbers or the whole header table, or
# writes the log, is never cached.  Requests go over one keep-alive
# connection, so they reach one process and its cache.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET HEAD);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(sleep);
use lib 't/lib';
use ArticlesTest qw(stage error_log_size error_log_since write_utf8);

plan tests => 36;

Apache::TestRequest::user_agent(reset => 1, keep_alive => 1,
                                requests_redirectable => 0);

sub req {
    my ($method, $path, @headers) = @_;
    return $method eq 'HEAD' ? HEAD($path, @headers) : GET($path, @headers);
}

# The response, and how many ART0013 lines (pages served from the cache) it
# caused.
sub hits_of {
    my $offset = error_log_size();
    my $res = req(@_);
    my $n = () = error_log_since($offset) =~ /ART0013/g;
    return ($res, $n);
}

my $page = '/en/european-languages/rethinking-pakistans-afghan-policy';

# A plain page: built once, then served from the cache, byte for byte.
my ($first, $h1) = hits_of(GET => "/cache-on$page");
my ($second, $h2) = hits_of(GET => "/cache-on$page");
ok t_cmp($first->code, 200, 'first request built');
ok t_cmp($h1, 0, 'not from the cache');
ok t_cmp($h2, 1, 'second request from the cache');
ok t_cmp($second->content, $first->content, 'same body');
ok t_cmp($second->header('ETag'), $first->header('ETag'), 'same ETag');
ok t_cmp($second->header('Last-Modified'), $first->header('Last-Modified'),
         'same Last-Modified');
ok t_cmp($second->header('Content-Language'), 'en', 'Content-Language kept');
ok t_cmp($second->header('Content-Type'), qr{^text/html; charset=utf-8},
         'Content-Type kept');

my ($cond, $hc) = hits_of(GET => "/cache-on$page",
                          'If-None-Match' => $first->header('ETag'));
ok t_cmp($cond->code, 304, 'If-None-Match on a cached page: 304');
ok t_cmp($hc, 1, 'answered from the cache');
my ($head, $hh) = hits_of(HEAD => "/cache-on$page");
ok t_cmp($head->code . ' ' . length($head->content), '200 0', 'HEAD: no body');
ok t_cmp($head->header('Content-Length'), length($first->content),
         'HEAD: the Content-Length of the page');

# A header the filter reads keys the entry, and is named in Vary.
my ($a1) = hits_of(GET => "/cache-on$page?variant", 'X-Variant' => 'alpha');
my ($b1, $hb) = hits_of(GET => "/cache-on$page?variant", 'X-Variant' => 'beta');
my ($a2, $ha) = hits_of(GET => "/cache-on$page?variant", 'X-Variant' => 'alpha');
my ($n1) = hits_of(GET => "/cache-on$page?variant");
ok t_cmp($a1->header('X-Seen'), 'alpha', 'filter header set');
ok t_cmp($a1->header('Vary'), qr{X-Variant}i, 'Vary names the header read');
ok t_cmp($b1->header('X-Seen') . " $hb", 'beta 0', 'another value: built anew');
ok t_cmp($a2->header('X-Seen') . " $ha", 'alpha 1', 'the first value: cached');
ok t_cmp($n1->header('X-Seen'), 'none', 'the header absent: its own variant');

# Cookies and the method key it the same way.
my ($c1) = hits_of(GET => "/cache-on$page?cookie", Cookie => 'edition=print');
my ($c2, $hc2) = hits_of(GET => "/cache-on$page?cookie", Cookie => 'edition=web');
my ($c3, $hc3) = hits_of(GET => "/cache-on$page?cookie",
                         Cookie => 'other=1; edition=print');
ok t_cmp($c1->header('Vary'), qr{Cookie}, 'Vary: Cookie');
ok t_cmp($c2->header('X-Seen') . " $hc2", 'web 0', 'another cookie value: built');
ok t_cmp($c3->header('X-Seen') . " $hc3", 'print 1',
         'same cookie among others: cached');
hits_of(GET => "/cache-on$page?method");
my ($m2, $hm) = hits_of(HEAD => "/cache-on$page?method");
ok t_cmp($m2->header('X-Seen') . " $hm", 'HEAD 0', 'the method read: HEAD built apart');

# What no key captures is never cached.
for my $what (qw(clock now random log headers)) {
    hits_of(GET => "/cache-on$page?$what");
    my ($r, $n) = hits_of(GET => "/cache-on$page?$what");
    ok t_cmp("$what " . $r->code . " $n", "$what 200 0", "$what: not cached");
}
hits_of(GET => "/cache-on$page?fixed");
my ($fx, $hf) = hits_of(GET => "/cache-on$page?fixed");
ok t_cmp($hf, 1, 'os.date and os.time of a given time are cached');

# Errors are not kept.
my ($nf1) = hits_of(GET => "/cache-on/en/no-such-collection/x");
my ($nf2, $hn) = hits_of(GET => "/cache-on/en/no-such-collection/x");
ok t_cmp($nf2->code . " $hn", '404 0', 'a 404 page is not cached');

# Off (the default): every request runs the filters.
hits_of(GET => "/cache-off$page");
my ($off, $ho) = hits_of(GET => "/cache-off$page");
ok t_cmp($off->code . " $ho", '200 0', 'ArticlesCache Off: never from a cache');

# A cached page follows the repository and the filter code.
my $dir = stage() . '/scratch';
my $art = "$dir/repo/european-languages/2025/cache-added.xml";
hits_of(GET => '/cachelive/en/');
my ($l2, $hl) = hits_of(GET => '/cachelive/en/');
ok t_cmp($hl, 1, 'live index cached');
ok t_cmp($l2->header('X-Code'), 'one', 'filter as first written');
write_utf8($art, <<'XML');
<article id="cache-added" xml:lang="en" published="2030-01-05">
  <title>Added under a cached index</title>
  <author ref="abbas-hashemite"/>
  <body><p>Fresh.</p></body>
</article>
XML
sleep 2.2;    # two rounds of the watcher (ArticlesReloadInterval 1)
my ($l3, $hl3) = hits_of(GET => '/cachelive/en/');
ok t_cmp($l3->content, qr{Added under a cached index}, 'a new article shows');
ok t_cmp($hl3, 0, 'the old entry was not served');
write_utf8("$dir/cache_live.lua", <<'LUA');
return function(page, r)
  r:set_header("X-Code", "two")
end
LUA
sleep 1.3;
my ($l4, $hl4) = hits_of(GET => '/cachelive/en/');
ok t_cmp($l4->header('X-Code') . " $hl4", 'two 0', 'edited filter code is used at once');
my ($l5, $hl5) = hits_of(GET => '/cachelive/en/');
ok t_cmp($l5->header('X-Code') . " $hl5", 'two 1', 'and its page cached again');
unlink $art;
sleep 2.2;
my ($l6) = hits_of(GET => '/cachelive/en/');
ok t_cmp($l6->content !~ /Added under a cached index/ ? 'gone' : 'stale', 'gone',
         'a removed article leaves the cached index');
