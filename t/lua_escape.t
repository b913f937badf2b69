# Filters that try to outlive their budgets (issue #12): by catching the
# budget's error (pcall, xpcall, coroutines, error handlers and to-be-closed
# variables that loop), by one long library call (string.rep, table.move,
# table.concat, table.unpack, utf8.char, string.format, table.sort, gsub), by
# finalizers.  Each must get the server's own 500 within a few seconds (the
# budget is 300 ms; the bound is generous for a loaded machine), with the
# reason in the error log, and the next request must be served.  Then views
# kept from an earlier request, memory the emergency collection recovers, and
# two sites whose filters must not see each other's modules and globals.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time);
use lib 't/lib';
use ArticlesTest qw(error_log_size error_log_since);

# A filter that escaped would hold its worker for ever: give up on it long
# before that, so the test fails instead of hanging.
Apache::TestRequest::user_agent(reset => 1, timeout => 30);

my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';
my $bound = 5;    # seconds; the filters' budget is 300 ms

my $budget = qr{ART0202: .*exceeded its (?:instruction|time|memory) budget};
# filter => what the error log must say
my @attacks = (
    [ pcall_loop      => $budget ],
    [ nested_pcall    => $budget ],
    [ xpcall_handler  => $budget ],
    [ coroutine_pcall => $budget ],
    [ close_var       => $budget ],
    [ finalizer       => qr{finalizer\.lua:\d+: .*__gc finalizers are not available} ],
    [ rep             => $budget ],
    [ rep_sep         => $budget ],
    [ move            => $budget ],
    [ concat          => $budget ],
    [ unpack          => $budget ],
    [ utf8_char       => $budget ],
    [ format          => $budget ],
    [ sort            => $budget ],
    [ gsub            => $budget ],
);

plan tests => 5 * @attacks + 7;

for my $a (@attacks) {
    my ($name, $logged) = @$a;
    my $offset = error_log_size();
    my $t0 = time;
    my $res = GET "/esc/$name$seed";
    my $took = time - $t0;
    my $warning = $res->header('Client-Warning');
    ok t_cmp($res->code . ($warning ? " ($warning)" : ''), 500,
             "$name: the server's own 500");
    ok t_cmp($took < $bound ? 'in time' : sprintf('%.1f s', $took), 'in time',
             "$name: answered within $bound s");
    ok t_cmp($res->content !~ /\.lua|traceback|budget/
             ? 'nothing leaked' : 'leaked', 'nothing leaked',
             "$name: the client sees no script detail");
    ok t_cmp(error_log_since($offset), $logged, "$name: the log says why");
    ok t_cmp(GET($seed)->code, 200, "$name: the next request is served");
}

# string.rep is the module's own: the same results as Lua's.
ok t_cmp(GET("/esc/rep_results$seed")->code, 200, 'string.rep: Lua\'s results');

# A view kept in a global from an earlier request: every route to it is
# refused (the filter answers 409 when one is not), the last one unprotected.
{
    my $offset = error_log_size();
    my @codes = map { GET("/esc/kept_view$seed")->code } 1 .. 8;
    ok t_cmp(join(' ', grep { $_ != 200 && $_ != 500 } @codes), '',
             'kept view: no route reaches a stale view (no 409)');
    ok t_cmp(error_log_since($offset),
             qr{ART0201: \S*kept_view\.lua .*article view used after the request},
             'kept view: its use after its request is an error');
}

# An allocation that fits after Lua's emergency collection spends no budget:
# the state is kept, so some request meets a state it has served before (the
# filter answers 200 then, 404 in a fresh state).
{
    my @codes = map { GET("/esc/recovered$seed")->code } 1 .. 12;
    ok t_cmp(join(' ', grep { $_ != 200 && $_ != 404 } @codes), '',
             'recovered allocation: no error');
    ok t_cmp(scalar(grep { $_ == 200 } @codes) ? 'state kept' : 'always fresh',
             'state kept', 'recovered allocation: the state is reused');
}

# Two sites, each with a util.lua of its own and a filter leaving globals:
# neither sees the other's (409: the other's module; 410: its globals).
{
    my @codes;
    for (1 .. 10) {
        push @codes, GET("/esc/site_a$seed")->code, GET("/esc/site_b$seed")->code;
    }
    ok t_cmp(join(' ', grep { $_ != 200 } @codes), '',
             'two sites: each its own modules and globals');
    ok t_cmp(scalar(@codes), 20, 'two sites: every request answered');
}
