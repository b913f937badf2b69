# ArticlesCache: a page is served again from the process's cache only when
# the URL, every request input the filters read (header, cookie, method) and
# the generations of repository, templates and filter code are the same; a
# filter that reads the clock, random numbers or the whole header table, or
# writes the log, is never cached.
#
# Each process has its own cache, so what is checked must reach one process.
# Every request carries X-Test-Req, and t/logs/pid_log names the process that
# served it (served_by).  A group of requests whose answers depend on each
# other is sent again, with a fresh try=N in its URLs (so nothing of an
# earlier attempt is cached), until one process served all of it: keep-alive
# makes that the first attempt almost always, but nothing depends on one
# connection surviving.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET HEAD);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(stage error_log_size error_log_since write_utf8 served_by
                    poll_until);

plan tests => 36;

Apache::TestRequest::user_agent(reset => 1, keep_alive => 1,
                                requests_redirectable => 0);

my $serial = 0;
my @served;     # the pids that served the requests of the current group

# The response, how many ART0013 lines (pages served from the cache) it
# caused, and the pid of the process that served it.
sub hits_of {
    my ($method, $path, @headers) = @_;
    my $id = "$$-" . ++$serial;
    push @headers, 'X-Test-Req' => $id;
    my $offset = error_log_size();
    my $res = $method eq 'HEAD' ? HEAD($path, @headers) : GET($path, @headers);
    my $n = () = error_log_since($offset) =~ /ART0013/g;
    my $pid = served_by($id);
    push @served, $pid;
    return ($res, $n, $pid);
}

# Run $group->('try=N') until one process served every request it made (at
# most 50 attempts); return what it returned on that attempt (or the last).
my $tries = 0;
sub one_process {
    my $group = shift;
    my @r;
    for (1 .. 50) {
        @served = ();
        @r = $group->('try=' . ++$tries);
        my %pids = map { $_ => 1 } @served;
        last if keys %pids == 1 && !$pids{unknown};
    }
    return @r;
}

my $page = '/en/european-languages/rethinking-pakistans-afghan-policy';

# A plain page: built once, then served from the cache, byte for byte.
my ($first, $h1, $second, $h2, $cond, $hc, $head, $hh) = one_process(sub {
    my $u = "/cache-on$page?$_[0]";
    my ($f, $n1) = hits_of(GET => $u);
    my ($s, $n2) = hits_of(GET => $u);
    my ($c, $nc) = hits_of(GET => $u, 'If-None-Match' => $f->header('ETag') // '');
    my ($h, $nh) = hits_of(HEAD => $u);
    return ($f, $n1, $s, $n2, $c, $nc, $h, $nh);
});
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
ok t_cmp($cond->code, 304, 'If-None-Match on a cached page: 304');
ok t_cmp($hc, 1, 'answered from the cache');
ok t_cmp($head->code . ' ' . length($head->content), '200 0', 'HEAD: no body');
ok t_cmp($head->header('Content-Length'), length($first->content),
         'HEAD: the Content-Length of the page');

# A header the filter reads keys the entry, and is named in Vary.
my ($a1, $b1, $hb, $a2, $ha, $n1) = one_process(sub {
    my $u = "/cache-on$page?variant&$_[0]";
    my ($a1) = hits_of(GET => $u, 'X-Variant' => 'alpha');
    my ($b1, $hb) = hits_of(GET => $u, 'X-Variant' => 'beta');
    my ($a2, $ha) = hits_of(GET => $u, 'X-Variant' => 'alpha');
    my ($n1) = hits_of(GET => $u);
    return ($a1, $b1, $hb, $a2, $ha, $n1);
});
ok t_cmp($a1->header('X-Seen'), 'alpha', 'filter header set');
ok t_cmp($a1->header('Vary'), qr{X-Variant}i, 'Vary names the header read');
ok t_cmp($b1->header('X-Seen') . " $hb", 'beta 0', 'another value: built anew');
ok t_cmp($a2->header('X-Seen') . " $ha", 'alpha 1', 'the first value: cached');
ok t_cmp($n1->header('X-Seen'), 'none', 'the header absent: its own variant');

# Cookies and the method key it the same way.
my ($c1, $c2, $hc2, $c3, $hc3) = one_process(sub {
    my $u = "/cache-on$page?cookie&$_[0]";
    my ($c1) = hits_of(GET => $u, Cookie => 'edition=print');
    my ($c2, $hc2) = hits_of(GET => $u, Cookie => 'edition=web');
    my ($c3, $hc3) = hits_of(GET => $u, Cookie => 'other=1; edition=print');
    return ($c1, $c2, $hc2, $c3, $hc3);
});
ok t_cmp($c1->header('Vary'), qr{Cookie}, 'Vary: Cookie');
ok t_cmp($c2->header('X-Seen') . " $hc2", 'web 0', 'another cookie value: built');
ok t_cmp($c3->header('X-Seen') . " $hc3", 'print 1',
         'same cookie among others: cached');
my ($m2, $hm) = one_process(sub {
    hits_of(GET => "/cache-on$page?method&$_[0]");
    return hits_of(HEAD => "/cache-on$page?method&$_[0]");
});
ok t_cmp($m2->header('X-Seen') . " $hm", 'HEAD 0', 'the method read: HEAD built apart');

# What no key captures is never cached.
for my $what (qw(clock now random log headers)) {
    my ($r, $n) = one_process(sub {
        hits_of(GET => "/cache-on$page?$what&$_[0]");
        return hits_of(GET => "/cache-on$page?$what&$_[0]");
    });
    ok t_cmp("$what " . $r->code . " $n", "$what 200 0", "$what: not cached");
}
my ($fx, $hf) = one_process(sub {
    hits_of(GET => "/cache-on$page?fixed&$_[0]");
    return hits_of(GET => "/cache-on$page?fixed&$_[0]");
});
ok t_cmp($fx->code . " $hf", '200 1', 'os.date and os.time of a given time are cached');

# Errors are not kept.
my ($nf2, $hn) = one_process(sub {
    hits_of(GET => "/cache-on/en/no-such-collection/x?$_[0]");
    return hits_of(GET => "/cache-on/en/no-such-collection/x?$_[0]");
});
ok t_cmp($nf2->code . " $hn", '404 0', 'a 404 page is not cached');

# Off (the default): every request runs the filters.
my ($off, $ho) = one_process(sub {
    hits_of(GET => "/cache-off$page?$_[0]");
    return hits_of(GET => "/cache-off$page?$_[0]");
});
ok t_cmp($off->code . " $ho", '200 0', 'ArticlesCache Off: never from a cache');

# A cached page follows the repository and the filter code.  The process P
# that cached the index is asked until its watcher (ArticlesReloadInterval 1)
# has seen each edit; answers from other processes are not counted.
my $dir = stage() . '/scratch';
my $art = "$dir/repo/european-languages/2025/cache-added.xml";
my $wait = 20;
my ($index, $l2, $hl, $p) = one_process(sub {
    my $u = "/cachelive/en/?$_[0]";
    hits_of(GET => $u);
    return ($u, hits_of(GET => $u));
});
ok t_cmp($hl, 1, 'live index cached');
ok t_cmp($l2->header('X-Code'), 'one', 'filter as first written');

# Ask P for the index until $done->(response, hits) holds or the deadline
# passes; return P's last answer and its hits.
sub from_p {
    my $done = shift;
    my @last = (undef, -1);
    poll_until($wait, sub {
        my ($res, $n, $pid) = hits_of(GET => $index);
        return 0 if $pid ne $p;
        @last = ($res, $n);
        return $done->($res, $n);
    });
    return @last;
}

write_utf8($art, <<'XML');
<article id="cache-added" xml:lang="en" published="2026-01-06">
  <title>Added under a cached index</title>
  <author ref="abbas-hashemite"/>
  <body><p>Fresh.</p></body>
</article>
XML
my ($l3, $hl3) = from_p(sub { $_[0]->content =~ /Added under a cached index/ });
ok t_cmp($l3 ? $l3->content : 'no answer from P', qr{Added under a cached index},
         'a new article shows');
ok t_cmp($hl3, 0, 'the old entry was not served');
write_utf8("$dir/cache_live.lua", <<'LUA');
return function(page, r)
  r:set_header("X-Code", "two")
end
LUA
my ($l4, $hl4) = from_p(sub { ($_[0]->header('X-Code') // '') eq 'two' });
ok t_cmp(($l4 ? $l4->header('X-Code') // 'none' : 'no answer from P') . " $hl4", 'two 0',
         'edited filter code is used once seen, built anew');
my ($l5, $hl5) = from_p(sub { 1 });
ok t_cmp(($l5 ? $l5->header('X-Code') // 'none' : 'no answer from P') . " $hl5", 'two 1',
         'and its page cached again');
unlink $art;
my ($l6, $hl6) = from_p(sub { $_[0]->content !~ /Added under a cached index/ });
my @items = $l6 ? $l6->content =~ m{<article class="item"}g : ();
ok t_cmp(!$l6 ? 'no answer from P'
         : $l6->code != 200 ? 'status ' . $l6->code
         : !@items ? 'no articles listed'
         : $l6->content =~ /Added under a cached index/ ? 'stale'
         : 'gone', 'gone',
         'a removed article leaves the cached index, which lists the others');
