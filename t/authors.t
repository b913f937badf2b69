# Authors and list pages (issue #5): bylines of several authors, author pages
# newest first, the bio in the page language with a fallback, the authors index
# with counts, and pagination boundaries (ArticlesPageSize 3 in the tests).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET GET_BODY);
use Apache::TestUtil qw(t_cmp);
use Encode ();
use lib 't/lib';
use ArticlesTest qw(page_text decode_entities sample_articles);

plan tests => 19;

sub html { Encode::decode('UTF-8', GET_BODY(shift)) }

# Titles of the listed articles, in page order, entities decoded (how a
# character is escaped is the page's business).
sub listed {
    my $h = html(shift);
    return join ' | ', map { decode_entities($_) }
        $h =~ m{<article class="item"[^>]*>\s*<h2><a href="[^"]*">([^<]*)</a>}g;
}

# Abbas Hashemite's English articles in conf/sample/repo, newest first.
my @abbas = sort { $b->{published} cmp $a->{published} }
            grep { $_->{lang} eq 'en' && grep({ $_ eq 'abbas-hashemite' } @{ $_->{authors} }) }
            sample_articles();
ok t_cmp(listed('/en/authors/abbas-hashemite'), join(' | ', map { $_->{title} } @abbas),
         'author page lists the articles newest first');
my $author = html('/en/authors/abbas-hashemite');
ok t_cmp($author, qr{<h1[^>]*><bdi>Abbas Hashemite</bdi></h1>}, 'author page heading');
ok t_cmp($author, qr{is a political observer and research analyst},
         'author page shows the bio');
ok t_cmp($author, qr{<a href="https://www\.afgazad\.com"[^>]*>Afghanistan Azad</a>},
         'author page shows the author\'s links');

# The bio exists only in English: a Dari page falls back to it, marked as English.
my $fa = html('/fa/authors/abbas-hashemite');
ok t_cmp($fa, qr{<div class="author-bio" lang="en">.*is a political observer}s,
         'bio falls back to the default language, with lang="en"');
ok t_cmp($fa, qr{<html lang="fa" dir="rtl">}, 'on a right-to-left page');

# Two authors on one article: both in the byline, both author pages list it.
my $multi = html('/en/european-languages/languages-of-europe-in-kabul');
ok t_cmp($multi, qr{<p class="byline">.*Muhammad Ali Baig.*Taut Bataut.*</p>},
         'a two-author byline names both');
ok t_cmp(page_text(Encode::encode('UTF-8', ($multi =~ m{(<p class="byline">.*?</p>)}s)[0] // '')),
         'Muhammad Ali Baig and Taut Bataut', 'lua/author.lua joins the names as English does');
ok t_cmp(listed('/en/authors/taut-bataut'), qr{Learning European Languages in Kabul},
         'the second author\'s page lists it');
ok t_cmp(listed('/en/authors/muhammad-ali-baig'), qr{Learning European Languages in Kabul},
         'the first author\'s page lists it');

# The authors index: everyone with an English article, with counts.
my $authors = page_text(GET_BODY('/en/authors/'));
my $n_abbas = @abbas;
ok t_cmp($authors, qr{Abbas Hashemite\D*\b$n_abbas\b},
         "authors index counts Abbas Hashemite's $n_abbas");
ok t_cmp($authors !~ /زرغونه|Zarghuna/ ? 'absent' : 'listed', 'absent',
         'an author without English articles is not on the English index');

# Pagination: 8 English articles at 3 a page make pages 1..3.
my $p1 = html('/en/');
ok t_cmp($p1, qr{<a rel="next" href="/en/\?page=2">}, 'page 1 links to page 2');
ok t_cmp($p1 !~ /rel="prev"/ ? 'no prev' : 'prev', 'no prev', 'page 1 has no previous');
my $p3 = html('/en/?page=3');
ok t_cmp($p3, qr{<a rel="prev" href="/en/\?page=2">}, 'page 3 links back to page 2');
ok t_cmp($p3 !~ /rel="next"/ ? 'no next' : 'next', 'no next', 'page 3 is the last');
my @counts = map { scalar(() = html("/en/?page=$_") =~ /<article class="item"/g) } 1 .. 3;
ok t_cmp("@counts", '3 3 2', 'pages hold 3, 3 and 2 articles');
ok t_cmp(GET('/en/?page=4')->code, 404, 'past the last page: 404');
ok t_cmp(GET('/en/?page=-1')->code, 404, 'a negative page: 404');
