# The suite runs once per MPM (t/run-tests sets ART_MPM): the server must
# really run that one.  Seen from outside the server: the MPM module the
# parent process has mapped, and whether a child serving requests is threaded
# (prefork's children have one thread for requests, plus the module's reload
# watcher; worker's and event's have a pool of ThreadsPerChild).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';

my $want = $ENV{ART_MPM};

plan tests => 4, need { 'ART_MPM is not set: run t/run-tests' => defined $want };

# The MPM shared objects a process has loaded.
sub mpms_of {
    my $pid = shift;
    open my $fh, '<', "/proc/$pid/maps" or return "unreadable /proc/$pid/maps: $!";
    my %mpm = map { /mod_mpm_(\w+)\.so/ ? ($1 => 1) : () } <$fh>;
    return join(',', sort keys %mpm) || 'none';
}

my $pidfile = Apache::Test::vars('t_logs') . '/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $parent = <$pf>);
close $pf;

ok t_cmp(mpms_of($parent), $want, "the server loaded mod_mpm_$want only");
ok t_cmp(Apache::Test::config()->{server}{mpm} // 'unknown', $want,
         'Apache::Test sees the same MPM');

# The children: processes whose parent is the server.
ok t_cmp(GET('/en/')->code, 200, 'the server serves');
# (A process may end while it is looked at: it is then left out.)
my @threads;
for my $dir (glob '/proc/[0-9]*') {
    open my $st, '<', "$dir/stat" or next;
    my ($ppid) = (<$st> // '') =~ /\)\s+\S+\s+(\d+)/;
    next unless defined $ppid && $ppid == $parent;
    my @tasks = glob "$dir/task/*";
    push @threads, scalar @tasks if @tasks;
}
my ($most) = sort { $b <=> $a } @threads;
my $shape = !@threads ? 'no children'
          : $most <= 2 ? 'one request thread'
          : $most > 4  ? 'a thread pool'
          :              "$most threads";
ok t_cmp($shape, $want eq 'prefork' ? 'one request thread' : 'a thread pool',
         "mpm_$want children have " . ($want eq 'prefork' ? 'one request thread' : 'a thread pool'));
