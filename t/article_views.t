# Article views read by a template (conf/page-model.md, "How the page is
# made"): the template engine reads a view, and a wrapper whose __index is a
# view, in C; everything else through Lua.  Every route to a field gives the
# same text: the view, language.lua-style wrappers, a wrapper with an
# __index function, Lua copies of the fields.  A wrapper's own field wins, a
# name no view has falls through to the outer contexts (deferred page fields
# too, within the request's budgets), a view kept past its request is
# refused however the template reaches it, and filters see views as before.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(logged_request server_error timed quick QUICK stage);

Apache::TestRequest::user_agent(reset => 1, timeout => 6 * QUICK);

my $seed = '/views/en/european-languages/rethinking-pakistans-afghan-policy';

plan tests => 37;

# The lines of $body that start with "$tag:", without the tag.
sub lines_of {
    my ($body, $tag) = @_;
    return map { /^\Q$tag\E:(.*)$/ ? $1 : () } split /\n/, $body;
}

# 'same' when all of @l are equal and there are $n of them.
sub all_same {
    my ($n, @l) = @_;
    return scalar(@l) . " lines" if @l != $n;
    my @diff = grep { $_ ne $l[0] } @l;
    return @diff ? "'$l[0]' but '$diff[0]'" : 'same';
}

my $res = GET($seed);
ok t_cmp($res->code, 200, 'the article renders under /views');
my $body = $res->content;

open my $fh, '<:encoding(UTF-8)', stage() . '/repo/european-languages/2025/rethinking-pakistans-afghan-policy.xml'
    or die "the seed article: $!";
my ($title) = join('', <$fh>) =~ m{<title>([^<]+)</title>};
(my $escaped = $title) =~ s/'/&#39;/g;

my @t = lines_of($body, 'T');
ok t_cmp(all_same(5, @t), 'same',
         'view, Lua copies, __index function, __index view, section: the same fields');
ok t_cmp($t[0], qr{^\Q$escaped\E\|\Q$title\E\|en\|/views/en/european-languages/rethinking-pakistans-afghan-policy\|},
         'the title escaped and raw, the language and the URL');
ok t_cmp($t[0], qr{\|\d{9,}\|(?:true|false)\|[^|;]+;[^|]*\|\[\]$},
         'a number, a boolean, the authors, nothing for a name no view has');
my @x = lines_of($body, 'X');
ok t_cmp(all_same(4, @x), 'same', 'names a view lacks fall through to the page');
ok t_cmp($x[0], qr{^article\|[^|]+\|[^|]+\|$}, 'kind, site.title and date_text found');
ok t_cmp((lines_of($body, 'O'))[0], 'OVERRIDDEN|en',
         "a wrapper's own field wins over the view's, the rest is the view's");
ok t_cmp((lines_of($body, 'W'))[0], "MANY|en|4|NEAR|$escaped",
         "wrappers with many own fields, or ones named near the view's: each the table's or the view's");
my @m = lines_of($body, 'M');
ok t_cmp($m[0], "$escaped|SWAPPED|xx",
         "a lambda changing a wrapper's __index while it renders: read anew after it");
ok t_cmp($m[1], "en|RESET|[]",
         'a lambda giving a wrapper another metatable: read anew after it');
my @d = lines_of($body, 'D');
ok t_cmp(all_same(2, @d), 'same', 'a section over a text field: `.` in it, as over its Lua copy');
ok t_cmp($d[0], "EN-PARTIAL|$escaped|$title|$escaped||en|/views/en/european-languages/rethinking-pakistans-afghan-policy/views/en/european-languages/rethinking-pakistans-afghan-policy|",
         'a partial it names, the text escaped and raw, nested, not inverted, outer names, a URL of two pieces');
ok t_cmp((lines_of($body, 'N'))[0], '[][L][L]',
         'a name the page lacks, then a lambda defers it: the next items show it');
ok t_cmp((lines_of($body, 'K'))[0], qr{^\[\][^|]+\|RESITE\|\[NEW\]$},
         'a lambda setting page fields read through its __index, or missing: read anew after it');
my @b = grep { /^[BE]:/ } split /\n(?=[A-Z]:)/, $body;
my ($b1, $b2) = map { /^B:(.*)/s ? $1 : () } @b;
ok t_cmp(defined $b1 && length $b1 > 500 && $b1 eq $b2 ? 'same' : 'differs', 'same',
         'the body written from the snapshot is the Lua string\'s');
my ($e1, $e2) = map { /^E:(.*)/s ? $1 : () } @b;
ok t_cmp(defined $e1 && $e1 =~ /&lt;p/ && $e1 eq $e2 ? 'same' : 'differs', 'same',
         'and escaped, the same as the Lua string escaped');
ok t_cmp((lines_of($body, 'Z'))[0], '', 'no deferred field: nothing');

# A list page: language.lua's wrappers ({ date_text } with __index = view).
$res = GET('/views/en/');
ok t_cmp($res->code, 200, 'the index renders under /views');
my @w = lines_of($res->content, 'W');
my $half = @w / 2;
ok t_cmp($half >= 2 ? 'listed' : 'empty', 'listed', 'articles are listed');
ok t_cmp(join("\n", @w[0 .. $half - 1]), join("\n", @w[$half .. $#w]),
         'wrappers read in C show what their Lua copies hold');
ok t_cmp($w[0], qr{^[^|]+\|/views/en/[^|]+\|en\|[^|]+\|index\|[^|]+;\|\[\]$},
         'title, URL, language, the wrapper\'s date_text, the page\'s kind');

# What a filter sees of a view is unchanged.
$res = GET("$seed?mode=lua");
ok t_cmp($res->header('X-V-Num'), 'nil', 'view[1] is nil');
ok t_cmp($res->header('X-V-Miss'), 'nil', 'a field no view has is nil');
ok t_cmp($res->header('X-V-Bool'), qr{bad argument #2 to '.*' \(string expected, got boolean\)},
         'a key that is neither string nor number is an error');
ok t_cmp($res->header('X-V-Type'), qr{bad argument #1 to 'snippet' \(articles\.Article expected, got table\)},
         'a table where a view is due: the type error');
ok t_cmp($res->header('X-V-Write'), qr{article fields are read-only \(tried to set 'title'\)},
         'views are read-only');
ok t_cmp($res->header('X-V-Eq') . ' ' . $res->header('X-V-Str'),
         'true article en/' . 'rethinking-pakistans-afghan-policy',
         'two views of one article are equal; tostring names it');
ok t_cmp($res->header('X-V-Pairs'), qr{table expected, got articles\.Article},
         'pairs of a view is an error');

# A view kept by a filter and read by a later request's template, as the
# view, for a name no view has, or through a wrapper: refused.  The view is
# kept per state: ask until a request lands on a state that kept one.
for my $mode (qw(stale stale_miss stale_wrap)) {
    my ($r, $log);
    for (1 .. 30) {
        ($r, $log) = logged_request(GET => "$seed?mode=$mode");
        last if $r->code != 200;
    }
    ok t_cmp($r->code . ' ' . ($r->header('Client-Warning') // 'from httpd'),
             '500 from httpd', "$mode: the kept view fails the render");
    ok t_cmp($log, qr{ART0011: .*article view used after the request that made it},
             "$mode: the log says why");
}

# Deferred work a template reaches through a view wrapper's miss is the
# request's: the budget stops it.
my ($took, $r, $log) = timed(sub { logged_request(GET => "$seed?mode=burn") });
ok t_cmp(server_error($r, $log), 'server 500', 'burn: the budget stops a deferred loop');
ok t_cmp(quick($took), 'quick', 'burn: answered within ' . QUICK . ' s');
ok t_cmp(GET($seed)->content, $body, 'the server still serves the same page');
