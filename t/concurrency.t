# Every page kind under load while the repository changes and the server
# restarts gracefully (issue #12): 32 forked clients with keep-alive request
# the pages of /conc (t/conf/extra.conf.in: a scratch copy of the sample site,
# the shipped filters, ArticlesCache On, reloads every second) for a few
# seconds, while this process rewrites an article of that copy every 100 ms
# (a new file renamed over the old, as editors save) and sends httpd SIGUSR1
# halfway.  Every response must come from the server (a request that finds
# its keep-alive connection closed by the restart is retried once on a new
# one), none may be >= 500, every page must be whole (its closing tag last,
# Content-Length its length) and an ETag must always stand for the same
# bytes; the error log must show the restart, pages served from the cache
# (unless the machine is too loaded to repeat a page within a reload), and no
# child killed by a signal.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use Digest::MD5 qw(md5_hex);
use File::Temp qw(tempdir);
use LWP::UserAgent;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use ArticlesTest qw(stage error_log_size error_log_since);

plan tests => 9;

my $CLIENTS = 32;
my $SECONDS = 8;
my $hostport = Apache::TestRequest::hostport(Apache::Test::config());
my $base = "http://$hostport/conc";
my @paths = (
    '/', '/en/', '/fa/', '/ps/', '/en/?page=2', '/en/european-languages/',
    '/fa/dari-pashto/', '/en/european-languages/rethinking-pakistans-afghan-policy',
    '/de/european-languages/rethinking-pakistans-afghan-policy',
    '/fa/dari-pashto/zaban-dari', '/en/authors/', '/fa/authors/nasrin-rahimi',
    '/en/tags/pakistan', '/en/feed.atom', '/en/european-languages/feed.atom',
    '/sitemap.xml', '/en/search?q=pakistan', '/en/nope/', '/en/tags/Pakistan',
);
my $article = stage() . '/scratch/conc-repo/european-languages/2025/'
    . 'pakistan-russia-counter-terrorism-cooperation.xml';

# The closing tag a whole page of each content type ends with.
sub whole {
    my ($res) = @_;
    my $type = $res->header('Content-Type') // '';
    my $end = $type =~ m{atom} ? '</feed>' : $type =~ m{xml} ? '</urlset>'
        : $type =~ m{html} ? '</html>' : return 1;
    return $res->content =~ m{\Q$end\E\s*\z};
}

sub client {
    my ($id, $out) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 1, max_redirect => 0, timeout => 60);
    my $deadline = time + $SECONDS;
    my ($i, $done) = ($id, 0);
    open my $fh, '>', $out or die "$out: $!";
    # Two requests at least, however slow the machine (a sanitizer build).
    while ($done++ < 2 || time < $deadline) {
        my $path = $paths[$i++ % @paths];
        my $res = $ua->get("$base$path");
        if (($res->header('Client-Warning') // '') eq 'Internal response') {
            # The restart closed the kept-alive connection: once more.
            $ua = LWP::UserAgent->new(keep_alive => 1, max_redirect => 0,
                                      timeout => 60);
            $res = $ua->get("$base$path");
        }
        my $internal = ($res->header('Client-Warning') // '') eq 'Internal response'
            ? 1 : 0;
        my $len = $res->header('Content-Length');
        my $ok = whole($res)
            && (!defined $len || $len == length $res->content) ? 1 : 0;
        printf $fh "%d\t%d\t%d\t%s\t%s\t%s\n", $res->code, $internal, $ok,
            $res->header('ETag') // '-', md5_hex($res->content), $path;
    }
    close $fh;
    exit 0;
}

open my $orig_fh, '<', $article or die "$article: $!";
my $orig = do { local $/; <$orig_fh> };
close $orig_fh;
my $tmp = tempdir(CLEANUP => 1);
my $offset = error_log_size();
my @pids;
for my $id (1 .. $CLIENTS) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        client($id, "$tmp/client-$id");
    }
    push @pids, $pid;
}

# The editor: a changed summary every 100 ms; the restart halfway.
my $pidfile = Apache::Test::vars('t_pid_file');
my ($n, $restarted, $start) = (0, 0, time);
while (time < $start + $SECONDS) {
    (my $text = $orig) =~ s{<summary>}{<summary>Edit $n. };
    open my $w, '>', "$article.new" or die "$article.new: $!";
    print $w $text;
    close $w;
    rename "$article.new", $article or die "rename: $!";
    $n++;
    if (!$restarted && time > $start + $SECONDS / 2) {
        open my $p, '<', $pidfile or die "$pidfile: $!";
        chomp(my $httpd = <$p>);
        kill 'USR1', $httpd;
        $restarted = 1;
    }
    sleep 0.1;
}
waitpid $_, 0 for @pids;

my (%codes, $internal, $torn, %bodies, $requests);
for my $id (1 .. $CLIENTS) {
    open my $fh, '<', "$tmp/client-$id" or die "client $id left no results: $!";
    while (<$fh>) {
        chomp;
        my ($code, $int, $ok, $etag, $md5, $path) = split /\t/;
        $requests++;
        $codes{$code}++;
        $internal += $int;
        $torn++ if !$ok && !$int;
        $bodies{$etag}{$md5} = $path if $etag ne '-';
    }
}
my @mixed = grep { keys %{ $bodies{$_} } > 1 } keys %bodies;
my $log = error_log_since($offset);
my $codes = join ' ', map { "$_:$codes{$_}" } sort keys %codes;
print "# $requests requests in $SECONDS s, $n edits; codes $codes\n";

ok t_cmp($requests >= 2 * $CLIENTS ? 'all' : $requests, 'all',
         'every client made its requests');
ok t_cmp(scalar(grep { $_ >= 500 } keys %codes) ? $codes : 'none', 'none',
         'no response >= 500');
ok t_cmp($internal // 0, 0, 'every request answered by the server');
ok t_cmp($torn // 0, 0, 'every page whole');
ok t_cmp(scalar @mixed ? join(' ', map { values %{ $bodies{$_} } } @mixed) : 'none',
         'none', 'each ETag stands for one body');
ok t_cmp(scalar(keys %codes) && exists $codes{200} && exists $codes{404}
         && exists $codes{302} ? 'all' : $codes, 'all', '200, 302 and 404 seen');
ok t_cmp($log, qr{SIGUSR1 received|Graceful restart requested},
         'a graceful restart happened');
# Entries live until the next reload (about a second here), so hits need the
# same page twice within one; a machine too loaded to give each client four
# requests in the run may not get there, and is not held to it.
my $hits = () = $log =~ /ART0013/g;
print "# $hits pages served from the cache\n";
ok t_cmp($hits || $requests < 4 * $CLIENTS ? 'ok' : 'no cache hit', 'ok',
         'pages were served from the cache');
my @crashes = $log =~ /^(.*(?:exit signal|Segmentation|AddressSanitizer).*)$/mg;
ok t_cmp(scalar @crashes ? $crashes[0] : 'none', 'none', 'no child crashed');

# Leave the copy as it was for whatever runs next.
open my $w, '>', $article or die "$article: $!";
print $w $orig;
close $w;
