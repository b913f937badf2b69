# t/repo-bad served at /bad: the valid core is served, every file in
# news/bad/ (plus the too-large.xml t/run-tests generates) is skipped with one
# error-log line "TAG: file:line: reason" (SPEC §2, README "Log tags are
# stable", line numbers as t/repo-bad/README gives them), nothing of a bad file
# reaches a page, and nothing of /etc/passwd reaches the log or a page.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(request html_of page_text bad_repo_cases stage);

my $stage = stage();
my $repo = "$stage/repo-bad";
my @cases = bad_repo_cases('t/repo-bad');
my @good = ([ 'good-one', 'Good One' ], [ 'good-two', 'Good Two' ]);
my %site_lang = (en => 1, fa => 1);        # t/repo-bad/site.xml

# The titles of the bad files, which must appear on no page.
my @bad_titles;
for my $c (@cases) {
    next unless -e "t/repo-bad/$c->{file}";
    open my $fh, '<:encoding(UTF-8)', "t/repo-bad/$c->{file}" or die $!;
    local $/;
    my $x = <$fh>;
    my ($t) = $x =~ m{<title>([^<&]+)</title>};
    push @bad_titles, $t if defined $t;
}

# The error log from its start; the lines of the last time /bad's repository
# was loaded at start-up (it ends with "ART0002: loaded <repo>: ...").
my $log_file = Apache::Test::vars('t_logs') . '/error_log';
my @log = do {
    open my $fh, '<:encoding(UTF-8)', $log_file or die "$log_file: $!";
    <$fh>;
};
my @ends = grep { $log[$_] =~ /ART0002: loaded \Q$repo\E:/ } 0 .. $#log;
my @pass = @ends ? @log[($#ends ? $ends[-2] + 1 : 0) .. $ends[-1]] : ();
my @bad_lines = grep { /\bART01\d\d: \Q$repo\E\// } @pass;

plan tests => 3 * @good + 1 + 2 * grep({ $_->{id} ne 'good-one' } @cases)
    + 2 + @bad_titles
    + 4 * @cases + 4;

# ---- the core is served

for my $g (@good) {
    my ($id, $title) = @$g;
    my $res = request(GET => "/bad/en/news/$id");
    ok t_cmp($res->code, 200, "/bad/en/news/$id answers 200");
    ok t_cmp(page_text($res->content), qr/\Q$title\E/, "/bad/en/news/$id shows '$title'");
    ok t_cmp(page_text($res->content), qr/^(?!.*Duplicate Id)/s,
             "/bad/en/news/$id is not the duplicate");
}
ok t_cmp(request(GET => '/bad/en/news/')->code, 200, '/bad/en/news/ answers 200');

# ---- every bad article is absent

for my $c (grep { $_->{id} ne 'good-one' } @cases) {
    my $lang = $site_lang{ $c->{lang} } ? $c->{lang} : 'en';
    my $res = request(GET => "/bad/$lang/news/$c->{id}");
    ok t_cmp($res->code, 404, "$c->{name}: /bad/$lang/news/$c->{id} answers 404");
    ok t_cmp($res->content, qr/^(?!.*root:x:0:)/s, "$c->{name}: its 404 page shows nothing of /etc/passwd");
}
my $lists = join "\n", map { page_text(request(GET => $_)->content) }
    '/bad/en/', '/bad/en/news/', '/bad/fa/', '/bad/fa/news/', '/bad/en/authors/farid-noori';
ok t_cmp($lists, qr/Good One/, 'the lists show the good articles');
ok t_cmp($lists, qr/^(?!.*root:x:0:)/s, 'the lists show nothing of /etc/passwd');
for my $t (@bad_titles) {
    ok t_cmp($lists, qr/^(?!.*\Q$t\E)/s, "no list shows the bad title '$t'");
}

# ---- the error log: one line per bad file

for my $c (@cases) {
    my $path = "$repo/$c->{file}";
    my @lines = grep { index($_, "$path:") >= 0 || index($_, "$path ") >= 0 } @pass;
    ok t_cmp(scalar @lines, 1, "$c->{name}: exactly one error-log line at start-up");
    my $line = $lines[0] // '';
    ok t_cmp($line, qr/\b\Q$c->{tag}\E: \Q$path\E\b/, "$c->{name}: tagged $c->{tag}");
    if (defined $c->{line}) {
        ok t_cmp($line, qr/\Q$path\E:\Q$c->{line}\E: \S/,
                 "$c->{name}: names line $c->{line} (t/repo-bad/README)");
    }
    else {
        ok t_cmp($line, qr/\Q$path\E(?::[01])?: \S/, "$c->{name}: no line, or line 0/1");
    }
    ok t_cmp($line, qr/\[\w+:(?:error|crit)\]/, "$c->{name}: logged as an error");
}
ok t_cmp(scalar @bad_lines, scalar @cases,
         'as many ART01xx lines for the repository as bad files (no good file skipped)');
ok t_cmp(join('', @pass), qr/ART0002: loaded \Q$repo\E: 2 articles, ${\ scalar @cases} files skipped/,
         'the start-up summary counts 2 articles and every bad file skipped');
ok t_cmp(join('', grep { /root:x:0:/ } @log), '', 'no error-log line contains /etc/passwd');
ok t_cmp(scalar(grep { /lollollol/ } @log), 0, 'no error-log line holds an expanded entity');
