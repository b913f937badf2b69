# Broken and hostile filters: each answers httpd's generic 500 (its own, not
# one the client makes up when a child dies) within the QUICK bound of
# t/lib/ArticlesTest.pm, the error log names the script, the line or budget,
# and the URI, nothing of the error reaches the client, and the next request
# is served normally.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(logged_request server_error timed quick QUICK);

# A filter no budget stops would hang: the client gives up well after QUICK,
# and the made-up 500 it returns then is told from the server's by
# server_error.
Apache::TestRequest::user_agent(reset => 1, timeout => 6 * QUICK);

my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

# location => what the error log must say about it
my @faults = (
    [ syntax         => qr{syntax\.lua:3:} ],
    [ runtime        => qr{runtime\.lua:3: secret-runtime-detail} ],
    [ loop           => qr{exceeded its (?:instruction|time) budget} ],
    [ coloop         => qr{exceeded its (?:instruction|time) budget} ],
    [ membomb        => qr{exceeded its memory budget} ],
    [ smallbomb      => qr{exceeded its memory budget} ],
    [ rep            => qr{not enough memory|resulting string too large} ],
    [ pattern        => qr{exceeded its (?:time|instruction) budget} ],
    [ write_article  => qr{write_article\.lua:3: article fields are read-only} ],
    [ io             => qr{io\.lua:3: .*global 'io'} ],
    [ os_execute     => qr{os_execute\.lua:3: .*field 'execute'} ],
    [ debug          => qr{debug\.lua:3: .*global 'debug'} ],
    [ binary         => qr{binary\.lua:3: .*(?:binary|text) chunk} ],
    [ nonnumber      => qr{nonnumber\.lua.*returned a string} ],
    [ escape_require => qr{module name '\.\.etc\.passwd' is not allowed} ],
);

# Filters that end at once but leave the template Lua that never ends: a lambda,
# an __index.  Rendering runs under the same budgets, fails, and logs why.
my @template_faults = qw(tpl_lambda tpl_index);

plan tests => 6 * @faults + 5 * @template_faults + 3;

for my $f (@faults) {
    my ($name, $logged) = @$f;
    my ($took, $res, $log) = timed(sub { logged_request(GET => "/lua/$name$seed") });
    ok t_cmp(server_error($res, $log), 'server 500', "$name: httpd's generic 500");
    ok t_cmp(quick($took), 'quick', "$name: answered within " . QUICK . ' s');
    ok t_cmp($res->content !~ /secret-runtime-detail|\.lua|traceback/
             ? 'nothing leaked' : 'leaked: ' . substr($res->content, 0, 200),
             'nothing leaked', "$name: the client sees no script detail");
    ok t_cmp($log, qr{ART020\d: .*\Q$seed\E}, "$name: logged with the URI");
    ok t_cmp($log, $logged, "$name: the log says why");
    ok t_cmp(GET($seed)->code, 200, "$name: the server still serves");
}

for my $name (@template_faults) {
    my ($res, $log) = logged_request(GET => "/lua/$name$seed");
    ok t_cmp($res->code, 500, "$name: 500");
    ok t_cmp(!defined $res->header('Client-Warning')
             && $res->content =~ m{<title>500 Internal Server Error</title>}
             ? 'httpd' : 'made up by the client', 'httpd',
             "$name: httpd answered (the client did not give up)");
    ok t_cmp($res->content !~ /\.lua|traceback|budget/
             ? 'nothing leaked' : 'leaked: ' . substr($res->content, 0, 200),
             'nothing leaked', "$name: the client sees no script detail");
    ok t_cmp($log, qr{ART0011: rendering article\.mustache failed: .*budget},
             "$name: the log says the budget stopped the template");
    ok t_cmp(GET($seed)->code, 200, "$name: the server still serves");
}

ok t_cmp(-e '/tmp/mod_articles-pwned' ? 'file created' : 'no file', 'no file',
         'os.execute did not run');
my $res = GET("/lua/status$seed");
ok t_cmp($res->code, 404, 'a filter status stops the pipeline');
ok t_cmp($res->content, qr{<html lang="en" dir="ltr">.*class="list-title"}s,
         'and a 404 from a filter is the site\'s own 404 page in the page language');
