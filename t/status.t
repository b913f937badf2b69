# The articles-status page: an HTML view and "?auto" Key: value lines, with
# per repository the version, its age, articles per language, the last
# update and the files skipped; per filter calls, errors, budget hits, total
# and p99 time; the response cache; the Lua states.  The counters are the
# server's, not one child's: under prefork, requests served by different
# processes all count.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use LWP::UserAgent;
use lib 't/lib';
use ArticlesTest qw(stage sample_articles spread_requests);

plan tests => 42;

Apache::TestRequest::user_agent(reset => 1, keep_alive => 0,
                                requests_redirectable => 0);

# The ?auto form as a hash, and whether every line was "Key: value".
sub auto {
    my $res = GET('/articles-status?auto');
    my (%h, $bad);
    for my $line (split /\n/, $res->content) {
        if ($line =~ /^([A-Za-z][A-Za-z0-9_]*): (.*)$/) { $h{$1} = $2 }
        else { $bad = $line }
    }
    return ($res, \%h, $bad);
}

# The record number of a repository or filter, by its path (a filter's
# function follows a space).
sub index_of {
    my ($h, $kind, $path) = @_;
    for my $k (keys %$h) {
        return $1 if $k =~ /^$kind(\d+)$/
            && ($h->{$k} eq $path || index($h->{$k}, "$path ") == 0);
    }
    return undef;
}

my ($res, $h, $bad) = auto();
ok t_cmp($res->code, 200, '?auto answers');
ok t_cmp($res->header('Content-Type'), qr{^text/plain}, '?auto is plain text');
ok t_cmp($bad, undef, 'every line of ?auto is "Key: value"');

# ---------------------------------------------------------------- repositories
my $stage = stage();
my $r = index_of($h, 'Repository', "$stage/repo");
ok defined $r;
$r //= 0;
ok t_cmp($h->{"Repository${r}Version"}, qr/^(?!0{16})[0-9a-f]{16}$/,
         'version: the content digest');
ok t_cmp($h->{"Repository${r}VersionAge"}, qr/^\d+$/, 'version age in seconds');
my @arts = sample_articles('conf/sample/repo');
ok t_cmp($h->{"Repository${r}Articles"}, scalar @arts, 'articles: every file');
my %by_lang;
$by_lang{ $_->{lang} }++ for @arts;
my $langs_ok = 1;
for my $l (keys %by_lang) {
    $langs_ok = 0 if ($h->{"Repository${r}Articles_$l"} // -1) != $by_lang{$l};
}
ok t_cmp($langs_ok, 1, 'articles per language as the files say');
ok t_cmp($h->{"Repository${r}LastUpdate"}, qr/GMT$/, 'last update: a time');
ok t_cmp($h->{"Repository${r}LastUpdateMs"}, qr/^\d+$/, 'last update: duration');
ok t_cmp($h->{"Repository${r}LastUpdateResult"}, 'ok', 'last update: result');
ok t_cmp($h->{"Repository${r}Skipped"}, 0, 'the sample skips nothing');

my $b = index_of($h, 'Repository', "$stage/repo-bad") // 0;
ok t_cmp($h->{"Repository${b}Skipped"}, qr/^[1-9]\d*$/, 'repo-bad: files skipped');
my @why = map { $h->{$_} } grep { /^Repository${b}Skipped\d+$/ } keys %$h;
ok t_cmp(scalar(grep { !m{^\S+:\d+: ART01\d\d: \S} } @why), 0,
         'each skipped file: file:line: tag: reason');
ok t_cmp(join("\n", @why), qr{too-large\.xml:\d+: ART0108: }, 'why: too large');

# ---------------------------------------------------------------- filters
my $lang = index_of($h, 'Filter', "$stage/lua/language.lua");
my $calls0 = defined $lang ? $h->{"Filter${lang}Calls"} : 0;
GET('/en/') for 1 .. 5;
my $h2;
($res, $h2) = auto();
$lang = index_of($h2, 'Filter', "$stage/lua/language.lua");
ok defined $lang;
$lang //= 0;
ok t_cmp($h2->{"Filter${lang}Calls"} - $calls0, 5, 'five pages, five calls');
ok t_cmp($h2->{"Filter${lang}P99Us"}, qr/^[1-9]\d*$/, 'p99 time');
ok t_cmp($h2->{"Filter${lang}TotalMs"}, qr/^\d+$/, 'total time');
ok t_cmp($h2->{"Filter${lang}Errors"}, 0, 'no errors');

GET('/lua/runtime/en/');
GET('/lua/loop/en/');
($res, $h2) = auto();
my $rt = index_of($h2, 'Filter', "$stage/lua-test/runtime.lua") // 0;
my $lp = index_of($h2, 'Filter', "$stage/lua-test/loop.lua") // 0;
ok t_cmp($h2->{"Filter${rt}Errors"}, qr/^[1-9]/, 'a raising filter: errors');
ok t_cmp($h2->{"Filter${rt}BudgetHits"}, 0, 'no budget hit');
ok t_cmp($h2->{"Filter${lp}BudgetHits"}, qr/^[1-9]/, 'an endless loop: budget hit');

# A filter named by file and function has one record, "FILE FUNCTION",
# however many times it runs.
my $multi = "$stage/lua-test/multi.lua second";
my $mcalls = sub {
    my ($hh) = @_;
    my @k = grep { /^Filter\d+$/ && $hh->{$_} eq $multi } keys %$hh;
    return (scalar(@k), @k ? $hh->{"$k[0]Calls"} : 0);
};
($res, $h2) = auto();
my (undef, $m0) = $mcalls->($h2);
GET('/lua/multi/en/') for 1 .. 3;
($res, $h2) = auto();
my ($mrecs, $m1) = $mcalls->($h2);
ok t_cmp($mrecs, 1, 'a file and function: one record');
ok t_cmp($m1 - $m0, 3, 'three pages, three calls on it');

# ---------------------------------------------------------------- cache, Lua
my $page = '/shared/en/european-languages/rethinking-pakistans-afghan-policy';
($res, $h) = auto();
# One connection, so one process even with the per-process cache (worker).
my $one = LWP::UserAgent->new(keep_alive => 1);
$one->get('http://' . Apache::TestRequest::hostport() . "$page?status") for 1 .. 3;
($res, $h2) = auto();
ok t_cmp($h2->{CacheMisses} - $h->{CacheMisses}, 1, 'one miss');
ok t_cmp($h2->{CacheHits} - $h->{CacheHits}, 2, 'then two hits');
ok t_cmp($h2->{CacheStores} - $h->{CacheStores}, 1, 'one store');
ok t_cmp($h2->{CacheEntries}, qr/^[1-9]/, 'entries held');
ok t_cmp($h2->{CacheBytes}, qr/^[1-9]/, 'bytes held');
ok t_cmp($h2->{CacheEvictions}, qr/^\d+$/, 'evictions counted');
ok t_cmp($h2->{CacheKind},
         ($ENV{ART_MPM} // '') eq 'worker' ? 'per-process' : 'shared',
         'which cache');
ok t_cmp($h2->{LuaStates}, qr/^[1-9]/, 'Lua states');
ok t_cmp($h2->{LuaBytes}, qr/^[1-9]/, 'their memory');

# ---------------------------------------------------------------- HTML
my $html = GET('/articles-status');
ok t_cmp($html->header('Content-Type'), qr{^text/html}, 'the HTML view');
ok t_cmp($html->content, qr{<th>CacheHits</th><td>\d+</td>}, 'a row per number');
ok t_cmp($html->content, qr{<h2>Repository \Q$stage\E/repo</h2>}, 'a section per repository');

# ---------------------------------------------------------------- children
# Fresh connections in parallel until two processes have served; every
# request counts once in the server-wide numbers whichever child served it.
my $probe = index_of($h2, 'Filter', "$stage/lua-test/cache_probe.lua");
my $before = defined $probe ? $h2->{"Filter${probe}Calls"} : 0;
my ($sent, $procs) = spread_requests('http://' . Apache::TestRequest::hostport()
                                     . '/cache-off/en/', 'ART0012');
($res, $h2) = auto();
$probe = index_of($h2, 'Filter', "$stage/lua-test/cache_probe.lua") // 0;
ok t_cmp($h2->{"Filter${probe}Calls"} - $before, $sent,
         'every request counted, whichever child served it');
if (($ENV{ART_MPM} // '') eq 'prefork') {
    ok t_cmp($procs >= 2, 1, 'served by two or more processes');
}
else {
    skip 'one process serves under a threaded MPM', 0;
}
ok t_cmp($h2->{Processes}, qr/^[1-9]/, 'live processes');

# Not an articles page: no body for other methods, and no caching.
my $post = Apache::TestRequest::POST('/articles-status', content => 'x');
ok t_cmp($post->code, 405, 'POST: 405');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'never cached');
