# A live repository and template folder: a new article appears, a broken
# article is skipped and logged, a broken site.xml keeps the previous
# snapshot, and an edited template is used, all without a restart.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(sleep);
use File::Copy qw(copy);
use lib 't/lib';
use ArticlesTest qw(stage error_log_size error_log_since write_utf8);

plan tests => 8;

my $repo = stage() . '/scratch/repo';
my $tpls = stage() . '/scratch/templates';
my $new = "$repo/european-languages/2025/live-added.xml";

sub put {
    write_utf8(@_);
    # Each process's watcher looks once per ArticlesReloadInterval (1 s):
    # two of its rounds, however they fall, and the reload they start.
    sleep 2.2;
}

sub code { GET(shift)->code }

ok t_cmp(code('/live/en/european-languages/live-added'), 404, 'not there yet');

put($new, <<'XML');
<article id="live-added" xml:lang="en" published="2026-01-05">
  <title>Added while the server runs</title>
  <author ref="abbas-hashemite"/>
  <body><p>Live.</p></body>
</article>
XML
# Every process reloads on its own; ask a few times.
my @codes = map { code('/live/en/european-languages/live-added') } 1 .. 6;
ok t_cmp("@codes", join(' ', (200) x 6), 'a new article is served');
ok t_cmp(GET('/live/en/')->content, qr{Added while the server runs},
         'and listed first on the index');

my $offset = error_log_size();
put("$repo/european-languages/2025/live-broken.xml", "<article id=\"x\"><title>\n");
GET('/live/en/') for 1 .. 3;
ok t_cmp(error_log_since($offset), qr{ART0102: \S*live-broken\.xml:\d+: not well-formed},
         'a broken article is logged with file and line');
ok t_cmp(code('/live/en/european-languages/live-added'), 200,
         'and the rest is still served');

$offset = error_log_size();
copy("$repo/site.xml", "$repo/site.xml.good") or die $!;
put("$repo/site.xml", "<site default-lang=\"en\"><title>broken");
# Each process keeps the snapshot it had, which may predate live-added.xml:
# ask for an article every snapshot has.
my @after = map { code('/live/en/european-languages/rethinking-pakistans-afghan-policy') }
    1 .. 4;
ok t_cmp("@after", '200 200 200 200', 'a broken site.xml keeps the previous snapshot');
ok t_cmp(error_log_since($offset), qr{ART0005: keeping the previous (?:snapshot|version)},
         'and says so in the log');

open my $in, '<', "$tpls/error.mustache" or die $!;
my $tpl = do { local $/; <$in> };
close $in;
$tpl =~ s{</main>|\{\{/content\}\}}{<p id="live-template">edited</p>$&};
put("$tpls/error.mustache", $tpl);
my @pages = map { GET('/live/en/no-such-page')->content } 1 .. 4;
ok t_cmp(scalar(grep { /live-template/ } @pages), 4, 'an edited template is used');
