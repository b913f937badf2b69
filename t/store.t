# The shared LMDB store (issue #13, README "The store"): a server of its own,
# under the MPM of this run with several children and no keep-alive, so that
# many requests over fresh connections reach every child.  An edit, an
# addition and a deletion are each served by every child after the reload
# interval, written by one process (one ART0004 line per change); an invalid
# edit keeps the last good article and is logged with file and line; a bad
# site.xml keeps everything.  A restart on a current store parses nothing and
# still logs every skipped file; a corrupt store file is logged and rebuilt;
# a store folder that cannot be made is a clear error and the site is served
# from memory instead.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use Cwd ();
use File::Temp ();
use LWP::UserAgent ();
use Time::HiRes qw(sleep time);
use lib 't/lib';
use ArticlesTest qw(stage run_cmd write_utf8);

my $top = Cwd::getcwd();
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $mods = '/usr/lib/apache2/modules';
my $module = "$top/build/mod_articles.so";
my $stage = stage();
my $mpm = $ENV{ART_MPM} || 'event';
# Within the range the suite was given (Apache::Test uses the first few).
my $port = ($ENV{ART_PORT} || 8529) + 20;
my $tmp = File::Temp::tempdir('art-store.XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $repo = "$tmp/repo";
my ($rc, undef, $err) = run_cmd('/bin/cp', '-R', "$stage/repo", $repo);
die "cp: $err" if $rc;
run_cmd('/bin/chmod', '-R', 'a+rwX', $repo);
my $log = "$tmp/logs/error_log";
mkdir "$tmp/logs";

my $article = "$repo/european-languages/2025/languages-of-europe-in-kabul.xml";
my $url = '/en/european-languages/languages-of-europe-in-kabul';
my $added_url = '/en/european-languages/store-test-added';
my $added = "$repo/european-languages/2025/store-test-added.xml";

my $mpm_conf = $mpm eq 'prefork' ? <<'P' : <<'T';
StartServers 4
MinSpareServers 4
MaxSpareServers 6
P
StartServers 3
ServerLimit 4
MinSpareThreads 3
MaxSpareThreads 8
ThreadsPerChild 2
MaxRequestWorkers 8
T

sub conf {
    my ($store) = @_;
    my $user = $< == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $conf = "$tmp/httpd.conf";
    write_utf8($conf, <<"CONF");
ServerRoot "$tmp"
Listen 127.0.0.1:$port
ServerName 127.0.0.1
PidFile "$tmp/logs/httpd.pid"
ErrorLog "$log"
LogLevel notice
KeepAlive Off
$user
LoadModule mpm_${mpm}_module $mods/mod_mpm_${mpm}.so
$mpm_conf
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule articles_module "$module"
<Location "/">
    SetHandler articles
    ArticlesRepository "$repo"
    ArticlesTemplates  "$stage/templates"
    ArticlesFilter none
    ArticlesStore "$store"
    ArticlesReloadInterval 1
</Location>
<Location "/articles-status">
    SetHandler articles-status
</Location>
CONF
    return $conf;
}

sub slurp_utf8 {
    my $file = shift;
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 15, max_redirect => 0);

sub get { $ua->get("http://127.0.0.1:$port" . shift) }

sub log_size { -s $log || 0 }

sub log_since {
    my $from = shift;
    open my $fh, '<:raw', $log or return '';
    seek $fh, $from, 0;
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# Start the server on a store folder; 1 once it answers.
sub start {
    my ($store) = @_;
    my ($code, $out, $e) = run_cmd($httpd, '-f', conf($store), '-k', 'start');
    return 0 if $code != 0;
    my $until = time + 60;
    while (time < $until) {
        my $r = get('/');
        return 1 if $r->code == 302 || $r->code == 200;
        sleep 0.2;
    }
    return 0;
}

sub stop {
    my $pidfile = "$tmp/logs/httpd.pid";
    run_cmd($httpd, '-f', "$tmp/httpd.conf", '-k', 'stop');
    my $until = time + 30;
    sleep 0.2 while -e $pidfile && time < $until;
}

# True once $n requests in a row over fresh connections all pass $check,
# within a generous deadline (each process looks once a second).
sub all_children {
    my ($path, $check, $n) = @_;
    my $until = time + 45;
    while (time < $until) {
        my $ok = 0;
        for (1 .. $n) {
            last unless $check->(get($path));
            $ok++;
        }
        return 1 if $ok == $n;
        sleep 0.3;
    }
    return 0;
}

sub title_is {
    my $want = shift;
    return sub { my $r = shift; $r->code == 200 && index($r->decoded_content, $want) >= 0 };
}

sub updates_since { my $s = log_since(shift); my @l = $s =~ /ART0004: store of \Q$repo\E updated/g; scalar @l }

plan tests => 23;

my $store = "$tmp/store";
my $start_at = log_size();
ok t_cmp(start($store), 1, "a server under $mpm starts on a new store");
my $started = log_since($start_at);
ok t_cmp($started, qr/ART0002: loaded \Q$repo\E: \d+ articles, 0 files skipped \(store \Q$store\E built/,
         'the parent built the store');
ok t_cmp(-f "$store/data.mdb" && -f "$store/lock.mdb" ? 'there' : 'missing', 'there',
         'data.mdb and lock.mdb are in the ArticlesStore folder');
if ($< == 0) {
    my $nobody = getpwnam('nobody');
    ok t_cmp((stat "$store/lock.mdb")[4], $nobody, 'the store belongs to User');
}
else {
    ok 1;
}

# An edit.
my $orig = slurp_utf8($article);
my $at = log_size();
(my $edited = $orig) =~ s{<title>}{<title>Edited in the store: };
write_utf8($article, $edited);
ok t_cmp(all_children($url, title_is('Edited in the store: '), 24), 1,
         'an edit is served by every child');
ok t_cmp(updates_since($at), 1, 'one process wrote it (one ART0004 line)');

# An addition.
$at = log_size();
write_utf8($added, <<'XML');
<article id="store-test-added" xml:lang="en" published="2026-01-05">
  <title>Added to the store</title>
  <author ref="abbas-hashemite"/>
  <body><p>New.</p></body>
</article>
XML
ok t_cmp(all_children($added_url, title_is('Added to the store'), 24), 1,
         'an addition is served by every child');
ok t_cmp(all_children('/en/', title_is('Added to the store'), 12), 1,
         'and listed first on the index by every child');
ok t_cmp(updates_since($at), 1, 'one process wrote it');

# A deletion.
$at = log_size();
unlink $added or die $!;
ok t_cmp(all_children($added_url, sub { shift->code == 404 }, 24), 1,
         'a deletion is served (404) by every child');
ok t_cmp(updates_since($at), 1, 'one process wrote it');

# Every child has served and watches the repository by now; the walks of
# its files for changes are still one per interval for the whole server,
# where each child walking on its own clock made one per child.
sub checks {
    my $r = get('/articles-status?auto');
    return $r->decoded_content =~ /^Repository0Checks: (\d+)$/m ? $1 : -1;
}
my ($c0, $t0) = (checks(), time);
sleep 5;
my ($c1, $t1) = (checks(), time);
my $most = int($t1 - $t0) + 2;
ok t_cmp($c0 >= 0 && $c1 - $c0 <= $most ? 'at most one a second' : "$c0 then $c1 in "
         . sprintf('%.1f s', $t1 - $t0), 'at most one a second',
         'one walk of the files per interval for the whole server');

# A bad site.xml keeps everything.
$at = log_size();
my $site = slurp_utf8("$repo/site.xml");
write_utf8("$repo/site.xml", "<site default-lang=\"en\"><title>broken");
my $until = time + 30;
sleep 0.3 while log_since($at) !~ /ART0005/ && time < $until;
ok t_cmp(log_since($at), qr/ART0005: keeping the previous version of \Q$repo\E: .*site\.xml/,
         'a bad site.xml is logged');
ok t_cmp(all_children('/en/european-languages/rethinking-pakistans-afghan-policy',
                      sub { shift->code == 200 }, 24), 1,
         'and every child still serves the whole site');
$at = log_size();
write_utf8("$repo/site.xml", $site);
# A change every article depends on: rebuilt, then the store is current.
$until = time + 30;
sleep 0.3 while !updates_since($at) && time < $until;

# An invalid edit keeps the last good version.
$at = log_size();
write_utf8($article, "<article id=\"x\" xml:lang=\"en\"><title>broken\n");
$until = time + 30;
sleep 0.3 while log_since($at) !~ /ART0102/ && time < $until;
ok t_cmp(log_since($at), qr/ART0102: \Q$article\E:\d+: not well-formed/,
         'an invalid edit is logged with file and line');
ok t_cmp(all_children($url, title_is('Edited in the store: '), 24), 1,
         'and every child still serves the last good version');

stop();

# A restart on the current store: nothing parsed, the invalid file still
# reported once.
$at = log_size();
ok t_cmp(start($store), 1, 'a restart on the current store');
my $restart = log_since($at);
ok t_cmp($restart, qr/ART0002: loaded \Q$repo\E: \d+ articles, 1 files skipped \(store \Q$store\E (?:was current|updated), 0 files parsed/,
         'parses nothing and counts the invalid file');
my @lines = $restart =~ /(ART0102: \Q$article\E:\d+)/g;
ok t_cmp(scalar @lines, 1, 'and logs its problem once');
stop();
write_utf8($article, $orig);

# A corrupt store file: logged, rebuilt, served.
open my $fh, '+<:raw', "$store/data.mdb" or die $!;
print $fh "\xde\xad\xbe\xef" x 4096;
close $fh;
$at = log_size();
ok t_cmp(start($store), 1, 'a server starts on a corrupt store file');
ok t_cmp(log_since($at), qr/ART0120: .*cannot be used .*rebuilt/,
         'says so and rebuilds it');
stop();

# A store folder that cannot be made: a clear error, served from memory.
$at = log_size();
my $bad = "$repo/site.xml/store";
ok t_cmp(start($bad) && get($url)->code, 200, 'a store folder that cannot be made: still served');
ok t_cmp(log_since($at), qr/ART0030: ART0120: cannot create the store folder \Q$bad\E: .*serving \Q$repo\E from memory/,
         'with one clear error naming the folder');
stop();
