# The newsroom workflow (issue #18) over a scratch copy of t/repo-newsroom
# whose site.xml says <timezone>Asia/Kabul</timezone>:
#
# - an article written with a published time some seconds ahead (with its
#   zone, +04:30) is absent from every page kind -- its own page (404), the
#   index, collection, author and tag lists, their feeds, the sitemap, search,
#   the related list that pins it, and the alternates and language links of
#   its translation -- until that moment, and then present on each, with the
#   response cache off (/nr) and on (/nr-cache), with no file change;
# - a date without a time is midnight in Kabul;
# - a draft 404s publicly and renders under the preview location with the
#   banner, noindex and Cache-Control: private, no-store, never cached;
# - corrections render in en, fa and ps with their dates in the page's
#   language and make the Atom entry's <updated>;
# - articles-check lists the draft and the scheduled article with its time.
#
# Waits poll until a deadline (poll_until), never for a fixed time.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use POSIX qw(strftime);
use Time::HiRes ();
use Time::Local qw(timegm);
use lib 't/lib';
use ArticlesTest qw(stage write_utf8 poll_until run_cmd error_log_size
                    error_log_since);

my $repo = stage() . '/scratch/newsroom';
my $kabul = 4 * 3600 + 30 * 60;          # +04:30, Afghanistan has no DST
my $wait = 30;

# What must show the scheduled article once it is public: a page and the
# text that shows it there (absent before).
my @places = (
    [ index       => '/en/',                               'href="PFX/en/news/scheduled"' ],
    [ collection  => '/en/news/',                          'href="PFX/en/news/scheduled"' ],
    [ author      => '/en/authors/zarlasht-ahmadi',        'href="PFX/en/news/scheduled"' ],
    [ tag         => '/en/tags/floods',                    'href="PFX/en/news/scheduled"' ],
    [ 'index feed'      => '/en/feed.atom',                '/en/news/scheduled</id>' ],
    [ 'collection feed' => '/en/news/feed.atom',           '/en/news/scheduled</id>' ],
    [ 'tag feed'        => '/en/tags/floods/feed.atom',    '/en/news/scheduled</id>' ],
    [ 'author feed'     => '/en/authors/zarlasht-ahmadi/feed.atom', '/en/news/scheduled</id>' ],
    [ sitemap     => '/sitemap.xml',                       'PFX/en/news/scheduled</loc>' ],
    [ search      => '/en/search?q=schedword',             'href="PFX/en/news/scheduled"' ],
    [ related     => '/en/news/old-news',                  'href="PFX/en/news/scheduled"' ],
    [ alternates  => '/fa/news/late-fa',                   'hreflang="en" href="https://newsroom.example.org PFX/en/news/scheduled"' ],
    [ 'language links' => '/fa/news/late-fa',              'href="PFX/en/news/scheduled" lang="en"' ],
);
my @prefixes = ('/nr', '/nr-cache');

plan tests => 2 + 2 * (1 + @places) * 2 + 1 + 1 + 8 + 3 * 6 + 2;

# Whether $place shows the scheduled article under $pfx.
sub shows {
    my ($pfx, $place) = @_;
    my ($name, $path, $text) = @$place;
    (my $want = $text) =~ s/PFX/$pfx/g;
    $want =~ s/ (?=\/)//;
    my $res = GET("$pfx$path");
    return undef unless $res->code == 200;
    return index($res->content, $want) >= 0 ? 1 : 0;
}

sub article_code { GET("$_[0]/en/news/scheduled")->code }

sub iso_utc { strftime('%Y-%m-%dT%H:%M:%SZ', gmtime shift) }

# ---- scheduled: written some seconds ahead, in Kabul's zone

my $ahead = 25;
my $at = int(Time::HiRes::time()) + $ahead;
my $published = strftime('%Y-%m-%dT%H:%M:%S+04:30', gmtime($at + $kabul));
write_utf8("$repo/news/scheduled.xml", <<"XML");
<?xml version="1.0" encoding="UTF-8"?>
<article id="scheduled" xml:lang="en" published="$published" translation="late-group">
  <title>Scheduled story</title>
  <author ref="zarlasht-ahmadi"/>
  <tags><tag>floods</tag></tags>
  <body><p>The schedword report goes live at its time.</p></body>
</article>
XML
# Pinned once the scheduled article's file exists.
{
    open my $in, '<:encoding(UTF-8)', "$repo/news/old-news.xml" or die $!;
    local $/;
    my $xml = <$in>;
    $xml =~ s{(<tags>)}{<related ref="scheduled"/>\n  $1} or die 'old-news.xml';
    write_utf8("$repo/news/old-news.xml", $xml);
}

{
    my ($rc, $out) = run_cmd('build/articles-check', $repo);
    my $line = "scheduled: en/scheduled at " . iso_utc($at) . " (published=\"$published\")";
    ok t_cmp(index($out, $line) >= 0 ? $line : $out, $line,
             'articles-check lists the scheduled article with its time');
    ok t_cmp($out =~ m{^draft: en/draft-story news/draft\.xml$}m ? 'listed' : $out,
             'listed', 'articles-check lists the draft');
}

# The server has both files once the preview shows the article and the pin.
poll_until($wait, sub {
    GET('/nr-preview/en/news/scheduled')->code == 200
        && GET('/nr-preview/en/news/old-news')->content =~ m{href="/nr-preview/en/news/scheduled"};
});

my %before;
for my $pfx (@prefixes) {
    $before{$pfx}{article} = article_code($pfx);
    for my $p (@places) {
        # Twice: with the cache on, the second answer is the cached page.
        shows($pfx, $p);
        $before{$pfx}{ $p->[0] } = shows($pfx, $p);
    }
}
my $checked = Time::HiRes::time();

for my $pfx (@prefixes) {
    ok t_cmp($before{$pfx}{article}, 404, "$pfx: the scheduled article 404s before its time");
    for my $p (@places) {
        ok t_cmp($before{$pfx}{ $p->[0] }, 0, "$pfx: absent from the $p->[0] page before its time");
    }
}
ok t_cmp($checked < $at ? 'before' : sprintf('%.1f s late', $checked - $at), 'before',
         'those checks ran before the published moment');

my %after;
poll_until($at - Time::HiRes::time() + $wait, sub {
    return 0 if Time::HiRes::time() < $at;
    my $all = 1;
    for my $pfx (@prefixes) {
        $after{$pfx}{article} = article_code($pfx);
        $all = 0 unless $after{$pfx}{article} == 200;
        for my $p (@places) {
            $after{$pfx}{ $p->[0] } = shows($pfx, $p);
            $all = 0 unless $after{$pfx}{ $p->[0] };
        }
    }
    return $all;
});
for my $pfx (@prefixes) {
    ok t_cmp($after{$pfx}{article}, 200, "$pfx: the article is served after its time");
    for my $p (@places) {
        ok t_cmp($after{$pfx}{ $p->[0] }, 1, "$pfx: present on the $p->[0] page after its time");
    }
}

# ---- a date alone is midnight in the site's zone

{
    my $feed = GET('/nr/en/feed.atom')->content;
    my $want = iso_utc(timegm(0, 0, 0, 1, 2, 2025) - $kabul);
    my ($got) = $feed =~ m{/en/news/old-news</id>.*?<published>([^<]+)</published>}s;
    ok t_cmp($got // 'no entry', $want, 'published="2025-03-01" is midnight in Kabul');
}

# ---- drafts and preview

{
    ok t_cmp(GET('/nr/en/news/draft-story')->code, 404, 'a draft 404s publicly');
    my $search = GET('/nr/en/search?q=draftword')->content;
    ok t_cmp($search =~ /draft-story/ ? 'found' : 'absent', 'absent',
             'a draft is not found by search');
    my $offset = error_log_size();
    my $res = GET('/nr-preview/en/news/draft-story');
    my $again = GET('/nr-preview/en/news/draft-story');
    my $log = error_log_since($offset);
    my $html = $res->content;
    ok t_cmp($res->code, 200, 'the preview serves the draft');
    ok t_cmp($html =~ m{<p class="preview-banner"[^>]*>[^\n]*<strong>Draft</strong>} ? 'banner' : 'none',
             'banner', 'with the preview banner saying it is a draft');
    ok t_cmp($html =~ m{<meta name="robots" content="noindex">} ? 'noindex' : 'none',
             'noindex', 'meta robots noindex');
    ok t_cmp($res->header('X-Robots-Tag') // 'none', 'noindex', 'X-Robots-Tag: noindex');
    ok t_cmp($res->header('Cache-Control') // 'none', 'private, no-store',
             'Cache-Control: private, no-store');
    ok t_cmp(($log =~ /ART0013|ART0014/ ? 'cached' : 'never cached') . ' '
             . ($again->content eq $html ? 'same' : 'differs'),
             'never cached same', 'a preview page never enters the cache');
}

# ---- corrections in en, fa and ps

my $first = iso_utc(timegm(0, 0, 0, 3, 3, 2025) - $kabul);     # date alone
my $second = iso_utc(timegm(0, 0, 9, 10, 4, 2025) - $kabul);   # 09:00+04:30
for my $l (qw(en fa ps)) {
    my $html = GET("/nr/$l/news/corrected")->decoded_content;
    my ($sec) = $html =~ m{(<section class="corrections".*?</section>)}s;
    $sec //= '';
    ok t_cmp($sec =~ /Fixed-$l-one.*Fixed-$l-two/s ? 'both' : $sec, 'both',
             "$l: both corrections under the article, in order");
    my ($t1) = $sec =~ m{<time datetime="\Q$first\E">([^<]+)</time>};
    my ($t2) = $sec =~ m{<time datetime="\Q$second\E">([^<]+)</time>};
    # The Solar Hijri year 1404 began on 2025-03-21; Dari and Pashto write
    # it in Eastern Arabic-Indic digits.
    my $year = $l eq 'en' ? '2025' : "\x{6f1}\x{6f4}\x{6f0}\x{6f4}";
    ok t_cmp(defined $t1 && defined $t2 && index($t1, $year) >= 0 && index($t2, $year) >= 0
             && $t1 !~ /^\d{4}-/ ? 'localized' : ($t1 // 'none') . ' / ' . ($t2 // 'none'),
             'localized', "$l: the correction dates in the page's language");
    my ($modified) = $html =~ m{"dateModified"\s*:\s*"([^"]+)"};
    ok t_cmp($modified // 'no JSON-LD dateModified', $second,
             "$l: JSON-LD dateModified is the last correction");
    my $feed = GET("/nr/$l/feed.atom")->content;
    my ($entry) = $feed =~ m{(<entry[^>]*>\s*<id>[^<]*/$l/news/corrected</id>.*?</entry>)}s;
    $entry //= '';
    my ($up) = $entry =~ m{<updated>([^<]+)</updated>};
    my ($pub) = $entry =~ m{<published>([^<]+)</published>};
    ok t_cmp($up // 'none', $second, "$l: the entry's <updated> is the last correction");
    ok t_cmp($pub // 'none', iso_utc(timegm(0, 0, 0, 1, 3, 2025) - $kabul),
             "$l: <published> is unchanged");
    my ($fu) = $feed =~ m{^<updated>([^<]+)</updated>}m;
    ok t_cmp($l eq 'en' || ($fu // '') eq $second ? 'yes' : ($fu // 'none'), 'yes',
             "$l: the feed's <updated> follows the correction");
}

# ---- the preview shows the scheduled article's state before; now it is public

{
    my $html = GET('/nr-preview/en/news/scheduled')->content;
    ok t_cmp($html =~ /<p class="preview-banner"/ ? 'banner' : 'none', 'banner',
             'the preview banner is on every preview page');
    ok t_cmp($html =~ /<strong>Scheduled<\/strong>/ ? 'scheduled' : 'public', 'public',
             'a scheduled article past its time is no longer marked scheduled');
}
