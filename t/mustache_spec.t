# The template engine against the official Mustache spec (SPEC §6: the core
# modules must pass completely, ~inheritance is wanted): build/mustache_spec
# (made by `make unit`, see t/unit/README.md) run on t/mustache-spec must exit
# 0, report "0 failed" overall, and pass every test of every spec file.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use JSON::PP ();
use lib 't/lib';
use ArticlesTest qw(run_cmd);

my $bin = 'build/mustache_spec';
my $specs = 't/mustache-spec';

opendir my $dh, $specs or die "$specs: $!";
my @files = sort grep { /\.json$/ } readdir $dh;
closedir $dh;

# How many tests each spec file holds.
my %count;
for my $f (@files) {
    open my $fh, '<:raw', "$specs/$f" or die "$specs/$f: $!";
    local $/;
    $count{$f} = scalar @{ JSON::PP->new->utf8->decode(<$fh>)->{tests} };
}

plan tests => 5 + 2 * @files;

ok t_cmp(-x $bin ? 'built' : 'missing', 'built', "$bin exists (run `make unit`)");
my ($rc, $out, $err) = -x $bin ? run_cmd($bin, $specs) : (-1, '', "$bin is missing");
ok t_cmp($rc, 0, "$bin $specs exits 0");
print map { "# $_\n" } split /\n/, "$out$err" if $rc != 0;

my %line;              # file => [ passed, failed, optional ]
my ($total, $optional, $engine);
for (split /\n/, $out) {
    if (/^\s*(\S+\.json)\s+(\d+) passed, (\d+) failed( \(optional\))?\s*$/) {
        $line{$1} = [ $2, $3, $4 ? 1 : 0 ];
    }
    elsif (/^\s*engine checks\s+(\d+) passed, (\d+) failed/) {
        $engine = [ $1, $2 ];
    }
    elsif (/^optional: (\d+) passed, (\d+) failed/) {
        $optional = [ $1, $2 ];
    }
    elsif (/^mustache: (\d+) passed, (\d+) failed/) {
        $total = [ $1, $2 ];
    }
}

ok t_cmp($total ? "$total->[1] failed" : 'no mustache: line', '0 failed',
         "the mustache: line reports 0 failed");
ok t_cmp($engine ? "$engine->[1] failed" : 'no engine checks line', '0 failed',
         'the engine checks report 0 failed');

for my $f (@files) {
    my $l = $line{$f};
    ok t_cmp($l ? "$l->[1] failed" : 'no line for it', '0 failed', "$f: 0 failed");
    ok t_cmp($l ? $l->[0] : 'no line', $count{$f}, "$f: all $count{$f} tests of the file passed");
}

# The summary adds up: required files and engine checks on the mustache: line,
# optional files on the optional: line.
my ($req, $opt) = (0, 0);
for my $f (keys %line) {
    $line{$f}[2] ? ($opt += $line{$f}[0]) : ($req += $line{$f}[0]);
}
$req += $engine->[0] if $engine;
ok t_cmp(($total ? $total->[0] : '?') . ' / ' . ($optional ? $optional->[0] : 0),
         "$req / $opt", 'the mustache: and optional: totals are the sums of the per-file lines');
