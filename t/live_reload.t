# A live repository and template folder: a new article appears, a broken
# article is skipped and logged, a broken site.xml keeps the previous
# snapshot, and an edited template is used, all without a restart.
#
# Each process's watcher looks once per ArticlesReloadInterval (1 s here), so
# after an edit the test asks until a deadline (poll_until) for what must
# follow, never for a fixed time a loaded machine can overrun.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use File::Copy qw(copy);
use lib 't/lib';
use ArticlesTest qw(stage error_log_size error_log_since write_utf8 poll_until
                    sample_articles page_text);

plan tests => 11;

my $repo = stage() . '/scratch/repo';
my $tpls = stage() . '/scratch/templates';
my $new = "$repo/european-languages/2025/live-added.xml";
my $wait = 20;    # seconds: many rounds of the watcher, even at load 10

sub code { GET(shift)->code }

# The article links of a list page, in order.
sub items {
    return GET(shift)->content =~ m{<article class="item"[^>]*>\s*<h2><a href="([^"]+)"}g;
}

ok t_cmp(code('/live/en/european-languages/live-added'), 404, 'not there yet');
# The sitemap of the version before the edit is built (and kept) now.
my $loc = '<loc>https://www.afgazad.com/live/en/european-languages/live-added</loc>';
ok t_cmp(index(GET('/live/sitemap.xml')->content, $loc) < 0 ? 'absent' : 'listed', 'absent',
         'the sitemap does not list it yet');

write_utf8($new, <<'XML');
<article id="live-added" xml:lang="en" published="2026-01-05">
  <title>Added while the server runs</title>
  <author ref="abbas-hashemite"/>
  <body><p>Live.</p></body>
</article>
XML
# Every process reloads on its own: six answers in a row.
my $codes = '';
poll_until($wait, sub {
    $codes = join ' ', map { code('/live/en/european-languages/live-added') } 1 .. 6;
    return $codes eq join(' ', (200) x 6);
});
ok t_cmp($codes, join(' ', (200) x 6), 'a new article is served');
# A sitemap kept for the old version is not served for the new one (asked
# until six in a row list it, as above: a process that has not seen the
# edit yet may still answer).
my $maps = '';
poll_until($wait, sub {
    $maps = join ' ', map { index(GET('/live/sitemap.xml')->content, $loc) < 0 ? 'absent' : 'listed' } 1 .. 6;
    return $maps eq join(' ', ('listed') x 6);
});
ok t_cmp($maps, join(' ', ('listed') x 6), 'every process lists it in the sitemap');
# Published after every sample article, so the index lists it first.
my @first = items('/live/en/');
ok t_cmp($first[0] // 'nothing listed', '/live/en/european-languages/live-added',
         'and listed first on the index');

my $offset = error_log_size();
write_utf8("$repo/european-languages/2025/live-broken.xml", "<article id=\"x\"><title>\n");
my $log = poll_until($wait, sub {
    GET('/live/en/');
    my $l = error_log_since($offset);
    return $l =~ /ART0102: \S*live-broken\.xml/ ? $l : undef;
}) // error_log_since($offset);
ok t_cmp($log, qr{ART0102: \S*live-broken\.xml:\d+: not well-formed},
         'a broken article is logged with file and line');
ok t_cmp(code('/live/en/european-languages/live-added'), 200,
         'and the rest is still served');

$offset = error_log_size();
copy("$repo/site.xml", "$repo/site.xml.good") or die $!;
write_utf8("$repo/site.xml", "<site default-lang=\"en\"><title>broken");
$log = poll_until($wait, sub {
    GET('/live/en/');
    my $l = error_log_since($offset);
    return $l =~ /ART0005: keeping the previous (?:snapshot|version)/ ? $l : undef;
}) // error_log_since($offset);
ok t_cmp($log, qr{ART0005: keeping the previous (?:snapshot|version)},
         'a broken site.xml is refused, and the log says so');
# Each process keeps the snapshot it had, which may predate live-added.xml:
# ask for an article every snapshot has, and see it whole.
my ($seed) = grep { $_->{lang} eq 'en' && $_->{id} eq 'rethinking-pakistans-afghan-policy' }
             sample_articles();
my @after = map {
    my $res = GET("/live/en/european-languages/$seed->{id}");
    $res->code == 200 && index(page_text($res->content), $seed->{title}) >= 0
        ? 'whole' : $res->code;
} 1 .. 4;
ok t_cmp("@after", 'whole whole whole whole',
         'the previous snapshot keeps serving the article, title and all');
ok t_cmp(scalar(() = items('/live/en/')), 3, 'and the index its full first page');

open my $in, '<', "$tpls/error.mustache" or die $!;
my $tpl = do { local $/; <$in> };
close $in;
$tpl =~ s{</main>|\{\{/content\}\}}{<p id="live-template">edited</p>$&};
write_utf8("$tpls/error.mustache", $tpl);
my $edited = 0;
poll_until($wait, sub {
    $edited = grep { /live-template/ } map { GET('/live/en/no-such-page')->content } 1 .. 4;
    return $edited == 4;
});
ok t_cmp($edited, 4, 'an edited template is used');
