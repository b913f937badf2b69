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
use lib "t/lib";
use ArticlesTest qw(timed quick QUICK);

sub qenc { URI::Escape::uri_escape_utf8(shift) }

# The article paths of a result page, in rank order.
sub results {
    my ($lang, $query) = @_;
    my $res = GET "/$lang/search?q=" . qenc($query);
    return ($res, [ $res->content =~ m{<article class="item"[^>]*>\s*<h2><a href="([^"]+)"}g ]);
}

# The judged set: queries and the article that must rank first.
my @judged;
open my $fh, '<:encoding(UTF-8)', 't/data/search-judged.tsv' or die $!;
while (<$fh>) {
    chomp;
    next if /^#/ || !/\S/;
    push @judged, [ split /\t/ ];
}
close $fh;

plan tests => @judged + 24;

for my $j (@judged) {
    my ($lang, $query, $want) = @$j;
    my ($res, $got) = results($lang, $query);
    ok t_cmp($got->[0] // 'no result', $want, "/$lang/search: '$query' ranks $want first");
}

# A query with an English word and a Dari one matches articles of both
# languages; each language's search lists only its own.
my $both = "Pakistan \x{062f}\x{0631}\x{06cc}";    # Pakistan, Dari (Persian yeh)
my ($res, $got) = results('en', $both);
ok t_cmp(scalar(@$got) > 0 && !grep({ !m{^/en/} } @$got) ? 'English only' : "@$got",
         'English only', "an English search for '$both' lists English articles only");
($res, $got) = results('fa', $both);
ok t_cmp(scalar(@$got) > 0 && !grep({ !m{^/fa/} } @$got) ? 'Dari only' : "@$got",
         'Dari only', "a Dari search for '$both' lists Dari articles only");

($res, $got) = results('en', '');
ok t_cmp($res->code, 200, 'an empty query shows the form');
ok t_cmp(scalar @$got, 0, 'and no results');
ok t_cmp($res->content, qr{<form class="search" action="/en/search"}, 'the form posts to the search URL');

(my $took, $res, $got) = timed(sub {
    results('en', join(' ', ('pakistan') x 400) . ' ' . ('x' x 2000)) });
ok t_cmp($res->code, 200, 'a 5 KB query is answered');
ok t_cmp(scalar @$got, 3, 'with a full first page of results');
ok t_cmp(quick($took), 'quick', 'within ' . QUICK . ' s');

($res, $got) = results('en', '<script>alert(1)</script>');
ok t_cmp($res->code, 200, 'a query with markup is answered');
ok t_cmp($res->content !~ /<script>alert/ ? 'not raw' : 'raw', 'not raw',
         'the query is never shown back raw');
ok t_cmp($res->content, qr{&lt;script&gt;alert\(1\)&lt;/script&gt;},
         'it is shown back escaped');

($res, $got) = results('en', q{!!! ?? ... -- ;;});
ok t_cmp($res->code . ' ' . scalar(@$got), '200 0',
         'a punctuation-only query is answered, with no results');

ok t_cmp(GET('/en/search?q=pakistan&page=99')->code, 404, 'a page past the results is 404');
($res) = results('en', 'pakistan');
ok t_cmp($res->content, qr{<h1 class="list-title">}, 'results page renders');

# Snippets: the passage that matched, escaped, with the matches marked.
sub snippets {
    my $url = shift;
    my $res = GET $url;
    return [ map { Encode::decode('UTF-8', $_) }
             $res->content =~ m{<p class="snippet">(.*?)</p>}sg ];
}

my $s = snippets('/en/search?q=' . qenc('Azerbaijan'));
ok t_cmp($s->[0] // 'none', qr{<mark>Azerbaijan</mark>}, 'the query word is marked in the snippet');
ok t_cmp(scalar(() = ($s->[0] // '') =~ /<mark>/g), scalar(() = ($s->[0] // '') =~ /<\/mark>/g),
         'every <mark> is closed');

# Arabic yeh in the query, Persian yeh in the text: marked as written.
$s = snippets('/fa/search?q=' . qenc("دري"));
ok t_cmp($s->[0] // 'none', qr{<mark>دری</mark>}, 'Arabic yeh in the query marks the Persian دری');

# t/repo-related: Arabic kaf in the query, Persian kaf in the text.
$s = snippets('/rel/fa/search?q=' . qenc("كشاورزان پاك"));
ok t_cmp($s->[0] // 'none', qr{<mark>کشاورزان</mark>}, 'Arabic kaf marks Persian کشاورزان');
ok t_cmp($s->[0] // 'none', qr{<mark>پاک</mark>}, 'and Persian پاک');

# Markup characters of the text are escaped; the highlight still lands on
# the words, inside the escaped markup.
$s = snippets('/rel/en/search?q=' . qenc('script tamarind'));
my $snip = $s->[0] // 'none';
ok t_cmp($snip, qr{&lt;<mark>script</mark>&gt;}, '<script> in the text comes out escaped, the word marked');
ok t_cmp($snip !~ /<(?!\/?mark>)/ ? 'only mark tags' : $snip, 'only mark tags',
         'no tag but <mark> in a snippet');
ok t_cmp($snip, qr{Salt &amp; <mark>tamarind</mark>}, '& comes out as &amp;');
ok t_cmp($snip, qr{<mark>tamarind</mark>&quot;\)}, 'a match next to a quote is marked and the quote escaped');

# A query with markup of its own is never echoed into a snippet unescaped.
$s = snippets('/rel/en/search?q=' . qenc('<b>tamarind</b>'));
ok t_cmp($s->[0] // 'none', qr{<mark>tamarind</mark>}, 'a query wrapped in tags still matches');
