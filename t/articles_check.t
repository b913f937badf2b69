# build/articles-check, the repository checker (README "For site owners"):
# exit 0 and the article count on the sample repository, exit 1 with one
# "TAG: file:line: reason" line per bad file on t/repo-bad (the staged copy,
# which includes the generated too-large.xml), exit 2 on t/repo-bad-site.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use File::Temp ();
use lib 't/lib';
use ArticlesTest qw(stage run_cmd sample_articles bad_repo_cases);

my $bin = 'build/articles-check';
my $stage = stage();
my @articles = sample_articles('conf/sample/repo');
my %langs = map { $_->{lang} => 1 } @articles;
my @cases = bad_repo_cases('t/repo-bad');
my $bad = "$stage/repo-bad";

my $tmp = File::Temp::tempdir('art-check.XXXXXX', TMPDIR => 1, CLEANUP => 1);
{
    my ($rc, undef, $err) = run_cmd('/bin/cp', '-R', 't/repo-bad-site', "$tmp/repo-bad-site");
    die "cp: $err" if $rc;
}

plan tests => 1 + 4 + 3 + 3 * @cases + 1 + 4 + 2;

ok t_cmp(-x $bin ? 'built' : 'missing', 'built', "$bin exists (run make)");

# ---- the sample repository: all good

{
    my ($rc, $out, $err) = run_cmd($bin, 'conf/sample/repo');
    ok t_cmp($rc, 0, 'conf/sample/repo: exit 0');
    my ($n) = $out =~ /\b(\d+) articles\b/;
    ok t_cmp($n // 'no count', scalar @articles,
             'conf/sample/repo: the article count is the number of article files (' . @articles . ')');
    my ($nl) = $out =~ /\b(\d+) languages\b/;
    ok t_cmp($nl // 'no count', scalar keys %langs, 'conf/sample/repo: the language count');
    ok t_cmp($err, '', 'conf/sample/repo: nothing on stderr');
}

# ---- t/repo-bad: files would be skipped

my ($rc, $out, $err) = run_cmd($bin, $bad);
ok t_cmp($rc, 1, "$bad: exit 1 (files would be skipped)");
ok t_cmp($out, qr/\b2 articles\b/, "$bad: the 2 good articles are counted");
ok t_cmp($out, qr/\b${\ scalar @cases} files skipped\b/, "$bad: every bad file is counted as skipped");
my @lines = split /\n/, $err;
for my $c (@cases) {
    my $path = "$bad/$c->{file}";
    my @mine = grep { index($_, "$path:") >= 0 } @lines;
    ok t_cmp(scalar @mine, 1, "$c->{name}: exactly one line");
    my $line = $mine[0] // '';
    ok t_cmp($line, qr/^\Q$c->{tag}\E: \Q$path\E[:]/, "$c->{name}: starts with $c->{tag}: and the file");
    if (defined $c->{line}) {
        ok t_cmp($line, qr/^\S+ \Q$path\E:\Q$c->{line}\E: \S/, "$c->{name}: line $c->{line} (t/repo-bad/README)");
    }
    else {
        ok t_cmp($line, qr/^\S+ \Q$path\E(?::[01])?: \S/, "$c->{name}: no line, or line 0/1");
    }
}
ok t_cmp(scalar(grep { /^ART01\d\d: / } @lines), scalar @cases, 'one ART01xx line per bad file, no more');

# ---- t/repo-bad-site: the site would not start

{
    my ($rc, $out, $err) = run_cmd($bin, "$tmp/repo-bad-site");
    ok t_cmp($rc, 2, 't/repo-bad-site: exit 2 (the site would not start)');
    ok t_cmp($err, qr{\Q$tmp\E/repo-bad-site/site\.xml:\d+: }, 'the message names site.xml and a line');
    ok t_cmp($err, qr{site\.xml:6: }, 'the line is 6 (t/repo-bad/README)');
    ok t_cmp($err, qr/\bART0102\b/, 'tagged ART0102 (not well-formed)');
}

# ---- usage errors

{
    my ($rc) = run_cmd($bin);
    ok t_cmp($rc, 2, 'no repository argument: exit 2');
    ($rc) = run_cmd($bin, "$tmp/no-such-repo");
    ok t_cmp($rc, 2, 'a missing repository: exit 2');
}
