# `apache2 -t` (configtest) with mod_articles: a broken site.xml or
# authors.xml, a bad directive value or a missing filter file must fail the
# configuration with a message naming the culprit (README "What happens at
# start", SPEC §2 "A bad site.xml stops start-up (and apachectl configtest)
# with a clear message"); the sample site must pass.  Each case writes a small
# httpd.conf of its own into a temporary folder; the suite's server is not used.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use Cwd ();
use File::Temp ();
use lib 't/lib';
use ArticlesTest qw(stage run_cmd write_utf8);

my $top = Cwd::getcwd();
my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $mods = '/usr/lib/apache2/modules';
my $module = "$top/build/mod_articles.so";
my $stage = stage();
my $tmp = File::Temp::tempdir('art-configtest.XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub copy_dir {
    my ($from, $to) = @_;
    my ($rc, undef, $err) = run_cmd('/bin/cp', '-R', $from, $to);
    die "cp -R $from $to: $err" if $rc != 0;
}

# t/run-tests stages t/repo-bad but not t/repo-bad-site: copy it here.
copy_dir('t/repo-bad-site', "$tmp/repo-bad-site");

# A repository whose site.xml is fine but whose authors.xml is not well-formed.
copy_dir("$stage/repo", "$tmp/repo-bad-authors");
write_utf8("$tmp/repo-bad-authors/authors.xml", <<'XML');
<?xml version="1.0" encoding="UTF-8"?>
<authors>
  <author id="nasrin-rahimi">
    <name>Nasrin Rahimi</name>
    <name xml:lang="fa">نسرین رحیمی
  </author>
</authors>
XML

# A site.xml that tries to read /etc/passwd through an external entity.
copy_dir('t/repo-bad-site', "$tmp/repo-xxe-site");
write_utf8("$tmp/repo-xxe-site/site.xml", <<'XML');
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE site [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<site default-lang="en">
  <title xml:lang="en">&xxe;</title>
  <url>https://xxe.example.org</url>
  <language code="en" dir="ltr" name="English"/>
</site>
XML

# A repository without site.xml.
mkdir "$tmp/repo-no-site" or die $!;
write_utf8("$tmp/repo-no-site/authors.xml", "<authors/>\n");

my $port = 18000 + $$ % 20000;

# The configuration of one case: the sample site at "/" with the given
# directives inside the <Location>.
sub conf_text {
    my ($name, $dirs) = @_;
    my $root = "$tmp/$name";
    mkdir $root;
    mkdir "$root/logs";
    return <<"CONF";
ServerRoot "$root"
Listen 127.0.0.1:$port
ServerName 127.0.0.1
PidFile "$root/logs/httpd.pid"
ErrorLog "$root/logs/error_log"
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule articles_module "$module"
<Location "/">
    SetHandler articles
$dirs
</Location>
CONF
}

my $good = <<"D";
    ArticlesRepository "$stage/repo"
    ArticlesTemplates  "$stage/templates"
    ArticlesFilter     "$stage/lua/language.lua"
    ArticlesFilter     "$stage/lua/author.lua"
    ArticlesFilter     "$stage/lua/related.lua"
D
my $tpl = qq{    ArticlesTemplates "$stage/templates"\n};

# [ name, directives in <Location "/">, expected exit 0 (ok) or not,
#   [ what stderr must say (regexps) ] ]
my @cases = (
    [ 'good', $good, 1, [ qr/Syntax OK/ ] ],
    [ 'good-page-size', $good . "    ArticlesPageSize 1000\n", 1, [ qr/Syntax OK/ ] ],
    [ 'bad-site', qq{    ArticlesRepository "$tmp/repo-bad-site"\n$tpl}, 0,
      [ qr/\bsite\.xml\b/, qr/site\.xml:\d+/, qr/site\.xml:6\b/, qr/\bART0102\b/ ] ],
    [ 'bad-authors', qq{    ArticlesRepository "$tmp/repo-bad-authors"\n$tpl}, 0,
      [ qr/\bauthors\.xml:\d+/ ] ],
    [ 'xxe-site', qq{    ArticlesRepository "$tmp/repo-xxe-site"\n$tpl}, 0,
      [ qr/\bsite\.xml\b/, qr/\bART0103\b/, qr/^(?!.*root:x:0:)/s ] ],
    [ 'no-site', qq{    ArticlesRepository "$tmp/repo-no-site"\n$tpl}, 0,
      [ qr/\bsite\.xml\b/ ] ],
    [ 'no-repository', qq{    ArticlesRepository "$tmp/does-not-exist"\n$tpl}, 0,
      [ qr/ArticlesRepository/, qr{\Q$tmp\E/does-not-exist} ] ],
    [ 'page-size-0', $good . "    ArticlesPageSize 0\n", 0, [ qr/\bArticlesPageSize\b/ ] ],
    [ 'page-size-1001', $good . "    ArticlesPageSize 1001\n", 0, [ qr/\bArticlesPageSize\b/ ] ],
    [ 'page-size-abc', $good . "    ArticlesPageSize 3abc\n", 0, [ qr/\bArticlesPageSize\b/ ] ],
    [ 'missing-filter', $good . qq{    ArticlesFilter "$tmp/no-such-filter.lua"\n}, 0,
      [ qr/\bArticlesFilter\b/, qr{\Q$tmp\E/no-such-filter\.lua} ] ],
    [ 'filter-is-a-folder', $good . qq{    ArticlesFilter "$stage/lua"\n}, 0,
      [ qr/\bArticlesFilter\b/ ] ],
    [ 'missing-templates', qq{    ArticlesRepository "$stage/repo"\n    ArticlesTemplates "$tmp/nope"\n}, 0,
      [ qr/\bArticlesTemplates\b/ ] ],
    [ 'reload-interval', $good . "    ArticlesReloadInterval soon\n", 0,
      [ qr/\bArticlesReloadInterval\b/ ] ],
);

my $checks = 0;
$checks += 1 + @{ $_->[3] } for @cases;
plan tests => 2 + $checks;

ok t_cmp(-x $httpd ? 'executable' : 'missing', 'executable', "httpd binary $httpd");
ok t_cmp(-f $module ? 'built' : 'missing', 'built', "module $module (run make first)");

for my $c (@cases) {
    my ($name, $dirs, $want_ok, $says) = @$c;
    my $conf = "$tmp/$name.conf";
    write_utf8($conf, conf_text($name, $dirs));
    my ($rc, $out, $err) = run_cmd($httpd, '-t', '-f', $conf);
    my $all = "$out$err";
    ok t_cmp($want_ok ? ($rc == 0 ? 'exit 0' : "exit $rc") : ($rc != 0 ? 'fails' : 'exit 0'),
             $want_ok ? 'exit 0' : 'fails',
             "$name: configtest " . ($want_ok ? 'passes' : 'fails') . ' (stderr: '
             . join(' ', split /\s+/, $err) . ')');
    for my $re (@$says) {
        ok t_cmp($all, $re, "$name: configtest output matches $re");
    }
}
