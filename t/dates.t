# Localized dates on article pages (lua/language.lua with lua/dates.lua): the
# dateline (page.date_text) and the signature date (page.signature_date_text)
# in the page's language.  Dari and Pashto pages show the Solar Hijri date with
# Persian digits and Afghan month names (Dari حمل ثور … حوت, Pashto وری غویی …
# کب); English and German keep the seed's "31.03.2025" dateline and a long
# signature date.
#
# The expected strings were worked out by hand from the XML dates:
# 1 Hamal 1404 is 2025-03-21, and 1403 is a leap year, so its last month
# (Hoot, Pashto Kab) has 30 days: 30 Hoot 1403 = 2025-03-20, 1 Hoot 1403 =
# 2025-02-19.  Hence 2025-02-21 = 3 Hoot, 2025-03-05 = 15 Hoot, 2025-03-14 =
# 24 Hoot, 2025-03-15 = 25 Hoot 1403.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(html_of);

# Afghan month names: Dari, then Pashto (not the Iranian فروردین … اسفند).
my @dari_months = qw(حمل ثور جوزا سرطان اسد سنبله میزان عقرب قوس جدی دلو حوت);
my @pashto_months = qw(وری غویی غبرګولی چنګاښ زمری وږی تله لړم لیندۍ مرغومی سلواغه کب);
my %is_dari = map { $_ => 1 } @dari_months;
my %is_pashto = map { $_ => 1 } @pashto_months;

# [ URL, XML published date, dateline, signature date or undef, month set ]
my @pages = (
    [ '/fa/dari-pashto/nowruz-dar-afghanistan', '2025-03-21', '۱ حمل ۱۴۰۴',
      undef, \%is_dari ],
    [ '/fa/dari-pashto/zaban-dari', '2025-02-21', '۳ حوت ۱۴۰۳', undef, \%is_dari ],
    [ '/ps/dari-pashto/landay', '2025-03-15', '۲۵ کب ۱۴۰۳', '۲۴ کب ۱۴۰۳',
      \%is_pashto ],
    [ '/ps/dari-pashto/pakhto-jaba-aw-likdod', '2025-03-05', '۱۵ کب ۱۴۰۳', undef,
      \%is_pashto ],
    [ '/de/european-languages/rethinking-pakistans-afghan-policy', '2025-04-02',
      '02.04.2025', '30. März 2025', undef ],
    [ '/en/european-languages/rethinking-pakistans-afghan-policy', '2025-03-31',
      '31.03.2025', 'March 30, 2025', undef ],
    [ '/en/dari-pashto/dari-one-language-many-names', '2025-02-21', '21.02.2025',
      undef, undef ],
);

# List pages show each item's date_text in the page's language:
# [ URL, { published as in the XML => expected text } ].  The English list
# holds a date-time with a zone (2025-02-14T10:00:00+05:00, on page 2 of 3
# items a page): its date as written.
my @lists = (
    [ '/fa/', { '2025-03-21' => '۱ حمل ۱۴۰۴', '2025-02-21' => '۳ حوت ۱۴۰۳' } ],
    [ '/ps/', { '2025-03-15' => '۲۵ کب ۱۴۰۳', '2025-03-05' => '۱۵ کب ۱۴۰۳' } ],
    [ '/de/', { '2025-04-02' => '02.04.2025' } ],
    [ '/en/european-languages/', { '2025-03-31' => '31.03.2025' } ],
    [ '/en/european-languages/?page=2',
      { '2025-03-03' => '03.03.2025', '2025-02-14T10:00:00+05:00' => '14.02.2025' } ],
    [ '/en/dari-pashto/', { '2025-02-21' => '21.02.2025' } ],
);

# The same date listed in two languages, asked for in turn: the filters'
# states remember datelines, and one language's must never show on the
# other's list.  Several rounds, so that both lists meet in the same state.
my @alternate = ([ '/en/dari-pashto/', '2025-02-21', '21.02.2025' ],
                 [ '/fa/', '2025-02-21', '۳ حوت ۱۴۰۳' ]);
my $rounds = 6;

my $per_page = 3;
my $solar_extra = 2;
plan tests => @pages * $per_page
    + $solar_extra * scalar(grep { $_->[4] } @pages)
    + scalar(grep { defined $_->[3] } @pages)
    + @lists + scalar(map { keys %{ $_->[1] } } @lists)
    + $rounds * @alternate;

for my $p (@pages) {
    my ($url, $published, $dateline, $signature, $months) = @$p;
    my $res = GET $url;
    ok t_cmp($res->code, 200, "$url answers 200");
    my $html = html_of($res);

    # The dateline: <time datetime="ISO">text</time> in <p class="dateline">.
    my ($dt, $text) = $html =~
        m{<p class="dateline"><time datetime="([^"]*)">([^<]*)</time></p>};
    ok t_cmp($dt, $published, "$url: dateline datetime is the XML date");
    ok t_cmp($text, $dateline, "$url: dateline text");

    if ($months) {
        my ($day, $month, $year) = split / /, $text // '';
        ok t_cmp(defined $month && $months->{$month} ? 'Afghan month' : $month,
                 'Afghan month', "$url: the month name is from the page's Afghan set");
        ok t_cmp(($day // '') . ($year // ''), qr/^[۰-۹]+$/,
                 "$url: day and year in Persian digits");
    }

    if (defined $signature) {
        my ($sig) = $html =~
            m{<p class="signature">[^<]*[,،] <time datetime="[^"]*">([^<]*)</time></p>};
        ok t_cmp($sig, $signature, "$url: signature date");
    }
}

for my $l (@lists) {
    my ($url, $want) = @$l;
    my $res = GET $url;
    ok t_cmp($res->code, 200, "$url answers 200");
    my $html = html_of($res);
    my %shown;
    while ($html =~ m{<time datetime="([^"]*)">([^<]*)</time>}g) {
        $shown{$1} //= $2;
    }
    for my $iso (sort keys %$want) {
        ok t_cmp($shown{$iso}, $want->{$iso}, "$url: the item of $iso shows");
    }
}

for my $round (1 .. $rounds) {
    for my $l (@alternate) {
        my ($url, $iso, $text) = @$l;
        my ($shown) = html_of(GET $url) =~ m{<time datetime="\Q$iso\E">([^<]*)</time>};
        ok t_cmp($shown, $text, "$url, round $round: the item of $iso shows");
    }
}
