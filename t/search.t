# Search (SPEC §3 /<lang>/search?q=): BM25 over titles, bodies and tags of one
# language, with Persian letters normalised (Arabic yeh and kaf match the
# Persian forms), and sane answers to empty, long and hostile queries.
use utf8;
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Encode ();
use URI::Escape ();
use Time::HiRes qw(time);
use lib "t/lib";
use ArticlesTest ();    # UTF-8 test output

plan tests => 16;

sub qenc { URI::Escape::uri_escape_utf8(shift) }

# The article paths of a result page, in rank order.
sub results {
    my ($lang, $query) = @_;
    my $res = GET "/$lang/search?q=" . qenc($query);
    return ($res, [ $res->content =~ m{<article class="item"[^>]*>\s*<h2><a href="([^"]+)"}g ]);
}

# A judged set: the article that must rank first, by construction of the
# sample site (the query word is in its title).
my @judged = (
    [ en => 'Azerbaijan', '/en/european-languages/strengthening-bilateral-ties-between-pakistan-and-azerbaijan' ],
    [ en => 'Balochistan attack', '/en/european-languages/balochistan-attack-new-front-in-global-power-struggles' ],
    [ en => 'TURKEY', '/en/european-languages/7th-round-of-the-pakistan-turkey-high-level-strategic-cooperation-council' ],
    [ en => 'Kabul languages', '/en/european-languages/languages-of-europe-in-kabul' ],
    [ fa => 'نوروز', '/fa/dari-pashto/nowruz-dar-afghanistan' ],
    # Arabic yeh (U+064A) for the Persian ی of "دری".
    [ fa => "دري", '/fa/dari-pashto/zaban-dari' ],
);
for my $j (@judged) {
    my ($lang, $query, $want) = @$j;
    my ($res, $got) = results($lang, $query);
    ok t_cmp($got->[0] // 'no result', $want, "/$lang/search: '$query' ranks $want first");
}

my ($res, $got) = results('fa', 'Pakistan');
ok t_cmp(scalar(grep { !m{^/fa/} } @$got), 0, 'a Dari search returns Dari articles only');

($res, $got) = results('en', '');
ok t_cmp($res->code, 200, 'an empty query shows the form');
ok t_cmp(scalar @$got, 0, 'and no results');
ok t_cmp($res->content, qr{<form class="search" action="/en/search"}, 'the form posts to the search URL');

my $t0 = time;
($res, $got) = results('en', join(' ', ('pakistan') x 400) . ' ' . ('x' x 2000));
ok t_cmp($res->code, 200, 'a 5 KB query is answered');
ok t_cmp(time - $t0 < 1 ? 'fast' : 'slow', 'fast', 'within a second');

($res, $got) = results('en', '<script>alert(1)</script>');
ok t_cmp($res->content !~ /<script>alert/ ? 'escaped' : 'raw', 'escaped',
         'the query is escaped when shown back');
ok t_cmp($res->code, 200, 'punctuation-only queries are answered');

ok t_cmp(GET('/en/search?q=pakistan&page=99')->code, 404, 'a page past the results is 404');
($res) = results('en', 'pakistan');
ok t_cmp($res->content, qr{<h1 class="list-title">}, 'results page renders');
