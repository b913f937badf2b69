# Broken and hostile filters: each answers a generic 500 within a second, the
# error log names the script, the line or budget, and the URI, nothing of the
# error reaches the client, and the next request is served normally.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(time);
use lib 't/lib';
use ArticlesTest qw(error_log_size error_log_since);

my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

# location => what the error log must say about it
my @faults = (
    [ syntax         => qr{syntax\.lua:3:} ],
    [ runtime        => qr{runtime\.lua:3: secret-runtime-detail} ],
    [ loop           => qr{exceeded its (?:instruction|time) budget} ],
    [ coloop         => qr{exceeded its (?:instruction|time) budget} ],
    [ membomb        => qr{exceeded its memory budget} ],
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

plan tests => 6 * @faults + 3;

for my $f (@faults) {
    my ($name, $logged) = @$f;
    my $offset = error_log_size();
    my $t0 = time;
    my $res = GET "/lua/$name$seed";
    my $took = time - $t0;
    ok t_cmp($res->code, 500, "$name: generic 500");
    ok t_cmp($took < 1 ? 'under 1 s' : sprintf('%.2f s', $took), 'under 1 s',
             "$name: answered within a second");
    ok t_cmp($res->content !~ /secret-runtime-detail|\.lua|traceback/
             ? 'nothing leaked' : 'leaked: ' . substr($res->content, 0, 200),
             'nothing leaked', "$name: the client sees no script detail");
    my $log = error_log_since($offset);
    ok t_cmp($log, qr{ART020\d: .*\Q$seed\E}, "$name: logged with the URI");
    ok t_cmp($log, $logged, "$name: the log says why");
    ok t_cmp(GET($seed)->code, 200, "$name: the server still serves");
}

ok t_cmp(-e '/tmp/mod_articles-pwned' ? 'file created' : 'no file', 'no file',
         'os.execute did not run');
my $res = GET("/lua/status$seed");
ok t_cmp($res->code, 404, 'a filter status stops the pipeline');
ok t_cmp($res->content, qr{<html lang="en" dir="ltr">.*class="list-title"}s,
         'and a 404 from a filter is the site\'s own 404 page in the page language');
