# Every kind of HTML page the sample site serves is valid HTML, checked with
# the Nu HTML Checker (vnu, from the npm package vnu-jar; `make test` installs
# it into build/vnu).  Nothing is skipped: without java or the jar this fails.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use Encode ();
use File::Temp ();
use URI::Escape ();
use lib 't/lib';
use ArticlesTest qw(request run_cmd);

my $jar = 'build/vnu/node_modules/vnu-jar/build/dist/vnu.jar';
my $enc = sub { URI::Escape::uri_escape_utf8(shift) };

# [ file name, path, expected status ]
my @pages = (
    [ 'index-en',      '/en/', 200 ],
    [ 'index-fa',      '/fa/', 200 ],
    [ 'index-ps',      '/ps/', 200 ],
    [ 'index-en-p2',   '/en/?page=2', 200 ],
    [ 'collection-en', '/en/european-languages/', 200 ],
    [ 'collection-fa', '/fa/dari-pashto/', 200 ],
    [ 'article-seed',  '/en/european-languages/rethinking-pakistans-afghan-policy', 200 ],
    [ 'article-de',    '/de/european-languages/rethinking-pakistans-afghan-policy', 200 ],
    [ 'article-fa',    '/fa/dari-pashto/zaban-dari', 200 ],
    [ 'article-ps',    '/ps/dari-pashto/landay', 200 ],
    [ 'authors-en',    '/en/authors/', 200 ],
    [ 'authors-fa',    '/fa/authors/', 200 ],
    [ 'author-ps',     '/ps/authors/zarghuna-wardak', 200 ],
    [ 'tag-en',        '/en/tags/pakistan', 200 ],
    [ 'tag-fa',        '/fa/tags/' . $enc->('زبان-دری'), 200 ],
    [ 'tag-ps',        '/ps/tags/' . $enc->('لنډۍ'), 200 ],
    [ 'search-en',     '/en/search?q=pakistan', 200 ],
    [ 'search-fa',     '/fa/search?q=' . $enc->('زبان'), 200 ],
    [ 'error-en',      '/en/nope', 404 ],
    [ 'error-fa',      '/fa/nope', 404 ],
    # JSON-LD and cards of a title full of markup, quotes and U+2028 (t/seo.t)
    [ 'article-hostile', '/seo/en/news/hostile-title', 200 ],
);

plan tests => 3 + 2 * @pages;

my $dir = File::Temp::tempdir('art-vnu.XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $p (@pages) {
    my ($name, $path, $code) = @$p;
    my $res = request(GET => $path);
    ok t_cmp($res->code, $code, "$name: $path answers $code");
    open my $fh, '>:raw', "$dir/$name.html" or die $!;
    print $fh $res->content;
    close $fh;
}

my $java = '';
for my $d (split /:/, $ENV{PATH} // '') {
    if (-x "$d/java") { $java = "$d/java"; last }
}
ok t_cmp($java ? 'found' : 'missing', 'found',
         'java is installed (Debian: apt-get install default-jre-headless; `make deps` does it)');
ok t_cmp(-f $jar ? 'found' : 'missing', 'found',
         "the Nu HTML checker is at $jar (`make test` installs it with npm)");

my $ran = $java && -f $jar;
my ($rc, $out, $err) = (-1, '', 'not checked: java or the jar is missing');
if ($ran) {
    ($rc, $out, $err) = run_cmd($java, '-Xss4m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-jar', $jar, '--errors-only',
                                '--format', 'text',
                                map { "$dir/$_->[0].html" } @pages);
}
my $report = "$out$err";
ok t_cmp($rc, 0, 'vnu exits 0 (no errors in any page)');
# The checker's own words, for whoever reads a failure.
print map { "# vnu: $_\n" } split /\n/, Encode::decode('UTF-8', $report) if $rc != 0;

# The text format gives each message as "Error: ..." followed by a line
# "From line L, column C; to ... in resource file:/.../NAME.html".
my %errors;
{
    my @block;
    my $flush = sub {
        my $text = join ' ', @block;
        @block = ();
        return if $text eq '' || $text !~ /^(?:Fatal )?Error\b/;
        my ($name) = $text =~ m{in resource file:\Q$dir\E/([^/\s]+)\.html};
        push @{ $errors{ $name // '?' } }, $text;
    };
    for my $l (split /\n/, Encode::decode('UTF-8', $report)) {
        $flush->() if $l =~ /^(?:(?:Fatal )?Error|Warning|Info)\b|^Document checking/;
        push @block, $l;
    }
    $flush->();
}

for my $p (@pages) {
    my ($name, $path) = @$p;
    my @errors = @{ $errors{$name} // [] };
    push @errors, @{ $errors{'?'} // [] };      # messages about no one file
    @errors = ($err) unless $ran;
    ok t_cmp(join("\n", @errors), '', "$name ($path): no HTML errors");
}
