# What search engines and social sites read (issue #16): schema.org
# NewsArticle JSON-LD on every article of the sample site in every language,
# parsed with a real JSON parser; a title full of markup, quotes and U+2028
# that still gives parseable JSON-LD with the exact title and no live
# markup; OpenGraph and Twitter card tags on every HTML page kind; filters
# that edit the data or break it; the sitemaps served from C (valid against
# the sitemaps.org schema) and the news sitemap's two-day window.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Encode ();
use File::Temp ();
use JSON::PP ();
use lib 't/lib';
use ArticlesTest qw(sample_articles site_info decode_entities
                    error_log_size error_log_since);

Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my $site = site_info();
my $url = $site->{url};
my @articles = sample_articles();
my $hostile = "Quote \"this\" & 'that' </script><script>alert(1)</script> "
    . "<!-- line\x{2028}break";

plan tests => 16 * @articles + 7 * 7 + 6 + 30;

sub html { Encode::decode('UTF-8', $_[0]->content) }

# The JSON-LD blocks of a page: raw text and decoded data.
sub jsonld {
    my $html = shift;
    my @raw = $html =~ m{<script type="application/ld\+json">(.*?)</script>}gs;
    return map { [ $_, eval { JSON::PP->new->decode($_) } ] } @raw;
}

# <meta property|name="K" content="V"> pairs of a page: { K => [ V, ... ] }.
sub metas {
    my $html = shift;
    my %m;
    while ($html =~ m{<meta (?:property|name)="([^"]+)" content="([^"]*)">}g) {
        push @{ $m{$1} }, decode_entities($2);
    }
    return \%m;
}

sub canonical { my ($h) = $_[0] =~ m{<link rel="canonical" href="([^"]+)">}; decode_entities($h // '') }

# ---------------------------------------------------------------- every article

my %by_key = map { ("$_->{lang}/$_->{id}" => $_) } @articles;
for my $a (@articles) {
    my $path = "/$a->{lang}/$a->{collection}/$a->{id}";
    my $html = html(GET $path);
    my @ld = jsonld($html);
    my $d = $ld[0][1] // {};
    ok t_cmp(scalar(@ld) == 1 && ref $d eq 'HASH' ? 'one' : scalar(@ld), 'one',
             "$path: one JSON-LD block that parses");
    ok t_cmp("$d->{'@context'} $d->{'@type'}", 'https://schema.org NewsArticle',
             "$path: a schema.org NewsArticle");
    ok t_cmp($d->{headline}, $a->{title}, "$path: headline");
    ok t_cmp($d->{inLanguage}, $a->{lang}, "$path: inLanguage");
    ok t_cmp($d->{datePublished} // '', qr/^\Q@{[substr($a->{published}, 0, 10)]}\ET\d\d:\d\d:\d\dZ$/,
             "$path: datePublished");
    ok t_cmp($d->{dateModified} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "$path: dateModified");
    my @authors = @{ $d->{author} // [] };
    ok t_cmp(join(' ', map { $_->{url} // '' } @authors),
             join(' ', map { "$url/$a->{lang}/authors/$_" } @{ $a->{authors} }),
             "$path: every author with the URL of their page");
    ok t_cmp(scalar(grep { ($_->{'@type'} // '') eq 'Person' && length($_->{name} // '') } @authors),
             scalar(@{ $a->{authors} }), "$path: authors are named Persons");
    my $x = ArticlesTest::slurp_utf8($a->{file});
    my ($summary) = map { ArticlesTest::xml_text($_) } $x =~ m{<summary>(.*?)</summary>}s;
    ok t_cmp($d->{description}, $summary, "$path: description is the summary");
    ok t_cmp($d->{publisher}{'@type'} . ' ' . ($d->{publisher}{name} // ''),
             qr/^Organization \S/, "$path: publisher");
    ok t_cmp($d->{isPartOf}{'@id'}, "$url/$a->{lang}/$a->{collection}/",
             "$path: isPartOf is the collection");
    ok t_cmp(length($d->{articleSection} // ''), qr/^[1-9]/, "$path: articleSection");
    ok t_cmp($d->{mainEntityOfPage}{'@id'}, canonical($html),
             "$path: mainEntityOfPage is the canonical URL");
    ok t_cmp(join(' ', sort @{ $d->{keywords} // [] }), join(' ', sort @{ $a->{tags} }),
             "$path: keywords are the tags");
    # Translations: the others of the group, each linked one way or the other.
    my @others = grep { defined $a->{translation} && defined $_->{translation}
                        && $_->{translation} eq $a->{translation} && $_ != $a } @articles;
    my @linked = (map({ $_->{'@id'} } @{ $d->{workTranslation} // [] }),
                  $d->{translationOfWork} ? $d->{translationOfWork}{'@id'} : ());
    my %others = map { ("$url/$_->{lang}/$_->{collection}/$_->{id}" => 1) } @others;
    ok t_cmp(scalar(grep { $others{$_} } @linked) == @linked && (@others == 0) == (@linked == 0)
             ? 'linked' : "@linked", 'linked', "$path: translationOfWork/workTranslation");
    ok t_cmp($ld[0][0] =~ /[<>&]/ ? 'raw markup' : 'none', 'none',
             "$path: no <, > or & in the script text");
}

# ---------------------------------------------------------------- cards

my @kinds = (
    [ index => '/en/', 'website' ],
    [ collection => '/en/european-languages/', 'website' ],
    [ article => '/en/european-languages/rethinking-pakistans-afghan-policy', 'article' ],
    [ authors => '/fa/authors/', 'website' ],
    [ author => '/en/authors/abbas-hashemite', 'website' ],
    [ tag => '/en/tags/pakistan', 'website' ],
    [ search => '/en/search?q=kabul', 'website' ],
);
for my $k (@kinds) {
    my ($kind, $path, $type) = @$k;
    my $html = html(GET $path);
    my $m = metas($html);
    my ($lang) = $path =~ m{^/(\w+)/};
    ok t_cmp($m->{'og:type'}[0], $type, "$kind: og:type");
    ok t_cmp(length($m->{'og:title'}[0] // ''), qr/^[1-9]/, "$kind: og:title");
    ok t_cmp($m->{'og:url'}[0], canonical($html), "$kind: og:url is the canonical URL");
    ok t_cmp($m->{'og:site_name'}[0], qr/\S/, "$kind: og:site_name");
    ok t_cmp($m->{'og:locale'}[0], $lang, "$kind: og:locale");
    ok t_cmp($m->{'twitter:card'}[0], qr/^summary/, "$kind: twitter:card");
    ok t_cmp($m->{'twitter:title'}[0], $m->{'og:title'}[0], "$kind: twitter:title");
}

my $m = metas(html(GET '/en/european-languages/rethinking-pakistans-afghan-policy'));
ok t_cmp(join(' ', @{ $m->{'og:locale:alternate'} // [] }), 'de',
         'seed: og:locale:alternate names its translation');
ok t_cmp($m->{'article:published_time'}[0], '2025-03-31T00:00:00Z', 'seed: article:published_time');
ok t_cmp($m->{'article:author'}[0], "$url/en/authors/abbas-hashemite", 'seed: article:author');
ok t_cmp($m->{'article:section'}[0], 'European Languages', 'seed: article:section');
ok t_cmp(join(' ', @{ $m->{'article:tag'} // [] }), join(' ', @{ $by_key{'en/rethinking-pakistans-afghan-policy'}{tags} }),
         'seed: article:tag for every tag');
ok t_cmp(scalar(grep { /ld\+json|og:/ } html(GET '/en/nope')), 0,
         'the 404 page has no cards or structured data');

# ---------------------------------------------------------------- the hostile title

my $seo = 'https://seo.example.org';
my $mnt = "$seo/seo";    # the pages of the /seo location
my $res = GET '/seo/en/news/hostile-title';
my $html = html($res);
my @ld = jsonld($html);
my $d = $ld[0][1] // {};
ok t_cmp($res->code, 200, 'the hostile article is served');
ok t_cmp(scalar(@ld), 1, 'one JSON-LD block: the title did not end the script');
ok t_cmp(ref $d, 'HASH', 'its JSON-LD parses');
ok t_cmp($d->{headline}, $hostile, 'the headline is the exact title, U+2028 and all');
ok t_cmp($d->{description}, 'A summary with </script> and <!-- in it.', 'the description too');
ok t_cmp($ld[0][0] =~ m{</script|<!--|<script|\x{2028}|\x{2029}} ? 'live' : 'inert', 'inert',
         'no live markup and no line separator in the script text');
ok t_cmp(scalar(() = $html =~ /<script\b/g), 1, 'no other <script> element appeared');
ok t_cmp(join(' | ', map { "$_->{name} <$_->{url}>" } @{ $d->{author} // [] }),
         "Farid Noori <$mnt/en/authors/farid-noori> | Mina \"the Quill\" Rahimi <$mnt/en/authors/mina-rahimi>",
         'both authors, with their pages');
ok t_cmp($d->{publisher}{logo}{url}, "$seo/img/logo.png", 'the publisher has the site logo');
ok t_cmp(join(' ', @{ $d->{image} // [] }), "$mnt/en/news/photos/lead.jpg?w=1200&h=630",
         'image: the first figure, absolute');
ok t_cmp(join(' ', map { "$_->{'@id'} $_->{inLanguage}" } @{ $d->{workTranslation} // [] }),
         "$mnt/fa/news/hostile-title fa", 'the original names its translation');
my ($fa) = jsonld(html(GET '/seo/fa/news/hostile-title'));
ok t_cmp($fa->[1]{translationOfWork}{'@id'}, "$mnt/en/news/hostile-title",
         'the translation names its original');
$m = metas(html(GET '/seo/en/news/hostile-title'));
ok t_cmp($m->{'og:title'}[0], $hostile, 'og:title is the exact title');
ok t_cmp($m->{'og:image'}[0], "$mnt/en/news/photos/lead.jpg?w=1200&h=630", 'og:image');
ok t_cmp($m->{'twitter:card'}[0], 'summary_large_image', 'a card with a large image');
ok t_cmp(join(' ', @{ $m->{'article:author'} }),
         "$mnt/en/authors/farid-noori $mnt/en/authors/mina-rahimi", 'article:author for each author');

# ---------------------------------------------------------------- filters

($d) = map { $_->[1] } jsonld(html(GET '/seo-edit/en/news/hostile-title'));
ok t_cmp($d->{headline}, "$hostile (edited)", 'a filter changes page.jsonld');
ok t_cmp($d->{about}{name}, '</script><!--', 'what a filter adds is escaped too');
ok t_cmp(metas(html(GET '/seo-edit/en/news/hostile-title'))->{'og:audio'}[0],
         'https://seo.example.org/a.mp3', 'a filter adds to page.og');
my $off = error_log_size();
ok t_cmp(GET('/seo-bad/en/news/hostile-title')->code, 500,
         'a function in page.jsonld is a 500');
ok t_cmp(error_log_since($off), qr/ART0016: page\.jsonld: a function value/,
         'and the log says what');
ok t_cmp(GET('/seo-bad/en/')->code, 200, 'pages without page.jsonld are served');

# ---------------------------------------------------------------- sitemaps

sub schema_valid {
    my $xml = shift;
    my $tmp = File::Temp->new(SUFFIX => '.xml');
    print $tmp $xml;
    close $tmp;
    my $out = `xmllint --noout --schema t/unit/sitemap.xsd $tmp 2>&1`;
    return $? == 0 ? 'valid' : "xmllint: $out";
}

$res = GET '/sitemap.xml';
ok t_cmp(schema_valid($res->content), 'valid', '/sitemap.xml is valid against the sitemaps.org schema');
ok t_cmp(GET('/sitemap-1.xml')->content, $res->content, 'one part: /sitemap-1.xml is /sitemap.xml');
ok t_cmp(GET('/sitemap-2.xml')->code, 404, 'no second part');
ok t_cmp(GET('/seo-edit/sitemap.xml')->code, 200, 'filters run for the sitemap kind');

$res = GET '/seo/sitemap-news.xml';
my $news = Encode::decode('UTF-8', $res->content);
ok t_cmp($res->header('Content-Type') // '', qr{^application/xml}, 'news sitemap media type');
ok t_cmp(schema_valid($res->content), 'valid', 'the news sitemap is a valid urlset');
ok t_cmp($news, qr{<loc>\Q$mnt/en/news/today\E</loc>\s*<news:news>\s*<news:publication>\s*<news:name>SEO Test Site</news:name>\s*<news:language>en</news:language>\s*</news:publication>\s*<news:publication_date>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ</news:publication_date>\s*<news:title>Fresh news</news:title>}s,
         'an article of the last hour, with name, language, date and title');
ok t_cmp(scalar(() = $news =~ /<url>/g), 1, 'nothing older than two days');
