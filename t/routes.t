# The URLs of SPEC §3 on the sample site mounted at "/" (t/conf/extra.conf.in,
# ArticlesPageSize 3): the root's language negotiation, trailing-slash
# redirects, 404 pages in the URL's language, paging, methods, the headers and
# <head> every page must carry, conditional requests, hostile URLs and a
# Persian tag.  Expectations come from SPEC.md and conf/sample/repo.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test;
use Apache::TestUtil qw(t_cmp);
use HTTP::Date ();
use URI::Escape ();
use Encode ();
use lib 't/lib';
use ArticlesTest qw(site_info sample_articles request links html_of timed quick QUICK);

my $site = site_info('conf/sample/repo');
my @articles = sample_articles('conf/sample/repo');
my $SITE_URL = $site->{url};                        # https://www.afgazad.com
my $DEFAULT = $site->{default_lang};                # en
my %dir = %{ $site->{dir} };
my $PAGE_SIZE = 3;                                  # ArticlesPageSize in extra.conf.in
my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

sub url_of { my $a = shift; "/$a->{lang}/$a->{collection}/$a->{id}" }
sub enc { URI::Escape::uri_escape_utf8(shift) }    # a path segment, percent-encoded
sub fold { my $t = lc shift; $t =~ s/\s+/-/g; $t }  # a tag's key (conf/repository.md)
sub in_collection { $_[0]{collection} }
sub by_authors { @{ $_[0]{authors} } }
sub tag_keys { map { fold($_) } @{ $_[0]{tags} } }

# ---------------------------------------------------------------- the root

# [ description, request headers, expected language ]
my @negotiation = (
    [ 'no preference: default-lang', [], $DEFAULT ],
    [ 'cookie lang=fa beats Accept-Language',
      [ Cookie => 'lang=fa', 'Accept-Language' => 'de, en;q=0.9' ], 'fa' ],
    [ 'cookie among other cookies', [ Cookie => 'theme=dark; lang=ps; x=1' ], 'ps' ],
    [ 'unknown cookie language falls back to Accept-Language',
      [ Cookie => 'lang=xx', 'Accept-Language' => 'de' ], 'de' ],
    [ 'ps-AF,fa;q=0.5 -> ps', [ 'Accept-Language' => 'ps-AF,fa;q=0.5' ], 'ps' ],
    [ 'de-CH -> de', [ 'Accept-Language' => 'de-CH' ], 'de' ],
    [ 'fr only -> default', [ 'Accept-Language' => 'fr' ], $DEFAULT ],
    [ 'fa;q=0, en;q=0.1 -> en (q=0 is "not acceptable")',
      [ 'Accept-Language' => 'fa;q=0, en;q=0.1' ], 'en' ],
    [ 'higher q wins regardless of order', [ 'Accept-Language' => 'de;q=0.2, fa;q=0.9' ], 'fa' ],
    [ 'upper case tags', [ 'Accept-Language' => 'FA-AF' ], 'fa' ],
    [ 'malformed q is ignored, the next range is used',
      [ 'Accept-Language' => 'fa;q=abc, de;q=0.5' ], 'de' ],
    [ 'q above 1 is malformed', [ 'Accept-Language' => 'ps;q=7, fa;q=0.3' ], 'fa' ],
    [ 'garbage only -> default', [ 'Accept-Language' => ';;;,,,=q' ], $DEFAULT ],
);

# Deterministic junk, under httpd's 8190-byte LimitRequestFieldSize so that
# the module (not the protocol layer) has to cope with it.
my $junk = do {
    my ($s, $x) = ('', 1);
    my @alpha = ('x' .. 'z', 0 .. 9, '-', ';', ',', '=', '.', ' ', 'q');
    while (length $s < 8000) {
        $x = ($x * 1103515245 + 12345) % 2**31;
        $s .= $alpha[$x % @alpha];
        $s .= 'xq-' . ('y' x ($x % 60)) . ';q=0.' . ($x % 10) . ',' if $x % 7 == 0;
    }
    'x' . substr($s, 0, 7999);
};

# The root answers the same wherever the site is mounted: "/", "/mounted/news"
# (the same site and filters) and "/plain" (no filters, so the module's own
# negotiation rather than lua/language.lua's) are all checked.
my @roots = ([ '', 'mounted at /' ],
             [ '/mounted/news', 'the same site at /mounted/news' ],
             [ '/plain', 'the same site at /plain (no filters)' ]);

# ---------------------------------------------------------------- redirects, 404s

# [ path, expected status, expected Location (for redirects) ]
my @redirects = (
    [ '/en', 301, '/en/' ],
    [ '/fa', 301, '/fa/' ],
    [ '/en/european-languages', 301, '/en/european-languages/' ],
    [ '/en/authors', 301, '/en/authors/' ],
);

my $not_found_fa = $site->{strings}{fa}{'not-found'};   # صفحه پیدا نشد
my $not_found_en = $site->{strings}{en}{'not-found'};

# [ path, description, language of the 404 page (default-lang without one) ]
my @not_found = (
    [ '/xx/', 'unknown language', $DEFAULT ],
    [ '/en/nope/', 'unknown collection', 'en' ],
    [ '/en/nope', 'unknown collection, no slash', 'en' ],
    [ '/fa/nope', 'Persian 404', 'fa' ],
    [ '/ps/dari-pashto/nope', 'unknown Pashto article', 'ps' ],
    [ '/en/dari-pashto/rethinking-pakistans-afghan-policy', 'article in the wrong collection', 'en' ],
    [ '/fa/european-languages/rethinking-pakistans-afghan-policy',
      'article in a language it is not written in', 'fa' ],
    [ "$seed/", 'article with a trailing slash', 'en' ],
    [ '/en/authors/nobody', 'unknown author', 'en' ],
    [ '/en/tags/no-such-tag', 'unknown tag', 'en' ],
);

# ---------------------------------------------------------------- paging

my @en = sort { $b->{published} cmp $a->{published} } grep { $_->{lang} eq 'en' } @articles;
my $pages = int((@en + $PAGE_SIZE - 1) / $PAGE_SIZE);   # 7 articles, 3 a page: 3 pages

# [ query, expected status ]
my @paging = (
    [ '?page=0', 404 ], [ '?page=abc', 404 ], [ '?page=-1', 404 ],
    [ '?page=99', 404 ], [ '?page=' . ($pages + 1), 404 ],
    [ '?page=1', 200 ], [ '?page=2', 200 ], [ "?page=$pages", 200 ],
);

# ---------------------------------------------------------------- every page kind

# A Dari tag (two words; its URL form is the case-folded key with a hyphen)
# and a one-word one, each used by exactly the Dari articles listed.
my @fa_tags;
for my $tag ('زبان دری', 'نوروز') {
    my @with = grep { $_->{lang} eq 'fa' && grep { $_ eq $tag } @{ $_->{tags} } } @articles;
    push @fa_tags, [ $tag, \@with ];
}
my $fa_tag_key = fold($fa_tags[0][0]);

# [ path, language, kind, [ what an article of its list has, value ] ]
my @pages = (
    [ '/en/', 'en', 'index' ],
    [ '/fa/', 'fa', 'index' ],
    [ '/ps/', 'ps', 'index' ],
    [ '/en/european-languages/', 'en', 'collection', [ \&in_collection, 'european-languages' ] ],
    [ '/fa/dari-pashto/', 'fa', 'collection', [ \&in_collection, 'dari-pashto' ] ],
    [ $seed, 'en', 'article' ],
    [ '/de/european-languages/rethinking-pakistans-afghan-policy', 'de', 'article' ],
    [ '/fa/dari-pashto/zaban-dari', 'fa', 'article' ],
    [ '/ps/dari-pashto/landay', 'ps', 'article' ],
    [ '/en/authors/', 'en', 'authors' ],
    [ '/fa/authors/nasrin-rahimi', 'fa', 'author', [ \&by_authors, 'nasrin-rahimi' ] ],
    [ '/en/tags/pakistan', 'en', 'tag', [ \&tag_keys, 'pakistan' ] ],
    [ '/fa/tags/' . enc($fa_tag_key), 'fa', 'tag', [ \&tag_keys, $fa_tag_key ] ],
);

# The languages an article page must offer as alternates: its own and those
# of the articles sharing its translation key.
sub article_langs {
    my $path = shift;
    my ($a) = grep { url_of($_) eq $path } @articles or return;
    return sort map { $_->{lang} }
        grep { $_ eq $a || (defined $a->{translation} && defined $_->{translation}
                            && $_->{translation} eq $a->{translation}) } @articles;
}

my @methods = qw(POST PUT DELETE PATCH);

my @hostile = (
    '/en/%00',
    '/en/..%2f..%2fetc/passwd',
    '/en/%2e%2e/%2e%2e/etc/passwd',
    '/en/' . ('a' x 7996),
    ('/a' x 4000),
    "$seed/extra",
    '/en/%ff%fe',
    '/%ff%fe/',
    '/en/tags/%ff%fe',
    '/en/european-languages/%c0%af',
);

my $per_page = 19;
plan tests => @roots * @negotiation + 6 * @roots
    + 2 * @redirects + 2 * @not_found + 4
    + @paging + 10
    + 3 * @methods + 7
    + $per_page * @pages + 2
    + 5 * @fa_tags + 2
    + 2 * @hostile + 1;

# ---- the root: 302 to the negotiated language, Vary

for my $r (@roots) {
    my ($base, $where) = @$r;
    my $res = request(GET => "$base/");
    ok t_cmp($res->code, 302, "$where: $base/ answers 302");
    ok t_cmp($res->header('Location') // '', qr{^(?:\Q$SITE_URL\E)?\Q$base\E/$DEFAULT/$},
             "$where: $base/ redirects to the default language");
    my $vary = lc($res->header('Vary') // '');
    ok t_cmp($vary, qr/\baccept-language\b/, "$where: Vary names Accept-Language");
    ok t_cmp($vary, qr/\bcookie\b/, "$where: Vary names Cookie");
}
for my $r (@roots) {
    my ($base, $where) = @$r;
    for my $n (@negotiation) {
        my ($desc, $headers, $want) = @$n;
        my $res = request(GET => "$base/", @$headers);
        ok t_cmp($res->code . ' ' . ($res->header('Location') // ''),
                 qr{^302 (?:\Q$SITE_URL\E)?\Q$base\E/$want/$}, "$where: $desc");
    }
}
for my $r (@roots) {
    my ($base, $where) = @$r;
    my ($took, $res) = timed(sub { request(GET => "$base/", 'Accept-Language' => $junk) });
    ok t_cmp($res->code . ' ' . ($res->header('Location') // ''),
             qr{^302 (?:\Q$SITE_URL\E)?\Q$base\E/$DEFAULT/$},
             "$where: 8000 bytes of junk Accept-Language -> default language");
    ok t_cmp(quick($took), 'quick',
             "$where: the junk header is handled within " . QUICK . ' s');
}

# ---- redirects to the slash form, 404 pages

for my $r (@redirects) {
    my ($path, $code, $loc) = @$r;
    my $res = request(GET => $path);
    ok t_cmp($res->code, $code, "$path answers $code");
    ok t_cmp($res->header('Location') // '', qr{^(?:\Q$SITE_URL\E)?\Q$loc\E$},
             "$path redirects to $loc");
}
for my $n (@not_found) {
    my ($path, $desc, $lang) = @$n;
    my $res = request(GET => $path);
    ok t_cmp($res->code, 404, "$desc: $path answers 404");
    ok t_cmp(html_of($res), qr{<html lang="$lang" dir="$dir{$lang}"},
             "$desc: the 404 page is in the URL's language ($lang)");
}
{
    my $html = html_of(request(GET => '/fa/nope'));
    ok t_cmp($html, qr{\Q$not_found_fa\E}, "the Persian 404 page says '$not_found_fa'");
    my $res = request(GET => '/fa/nope');
    ok t_cmp($res->header('Content-Language') // '', 'fa', 'the Persian 404 page is Content-Language fa');
    $html = html_of(request(GET => '/en/nope/'));
    ok t_cmp($html, qr{\Q$not_found_en\E}, "the English 404 page says '$not_found_en'");
}

# ---- paging of /en/ (page size 3)

for my $p (@paging) {
    my ($q, $code) = @$p;
    ok t_cmp(request(GET => "/en/$q")->code, $code, "/en/$q answers $code");
}
{
    my %pagelinks;
    for my $n (1, 2, $pages) {
        my $html = html_of(request(GET => $n == 1 ? '/en/' : "/en/?page=$n"));
        my @l = links($html);
        my ($prev) = map { $_->{value} } grep { ($_->{rel} // '') eq 'prev' } @l;
        my ($next) = map { $_->{value} } grep { ($_->{rel} // '') eq 'next' } @l;
        my @listed = grep { m{^/en/(?!authors/|tags/)[^/]+/[^/]+$} } map { $_->{value} } @l;
        $pagelinks{$n} = { prev => $prev, next => $next, listed => \@listed };
    }
    ok t_cmp(defined $pagelinks{1}{prev} ? 'prev' : 'none', 'none', 'page 1 has no rel=prev');
    ok t_cmp($pagelinks{1}{next} // '', '/en/?page=2', 'page 1 has rel=next to page 2');
    ok t_cmp($pagelinks{2}{prev} // '', qr{^/en/(?:\?page=1)?$}, 'page 2 has rel=prev to page 1');
    ok t_cmp($pagelinks{2}{next} // '', '/en/?page=3', 'page 2 has rel=next to page 3');
    ok t_cmp($pagelinks{$pages}{prev} // '', '/en/?page=' . ($pages - 1),
             "page $pages has rel=prev");
    ok t_cmp(defined $pagelinks{$pages}{next} ? 'next' : 'none', 'none',
             "page $pages (the last) has no rel=next");
    # Newest first, three a page.
    my @want1 = map { url_of($_) } @en[0 .. $PAGE_SIZE - 1];
    my @want2 = map { url_of($_) } @en[$PAGE_SIZE .. 2 * $PAGE_SIZE - 1];
    my @wantl = map { url_of($_) } @en[($pages - 1) * $PAGE_SIZE .. $#en];
    ok t_cmp("@{ $pagelinks{1}{listed} }", "@want1", 'page 1 lists the 3 newest articles, newest first');
    ok t_cmp("@{ $pagelinks{2}{listed} }", "@want2", 'page 2 lists articles 4-6');
    ok t_cmp("@{ $pagelinks{$pages}{listed} }", "@wantl", "page $pages lists the rest");
    my $html2 = html_of(request(GET => '/en/?page=2'));
    ok t_cmp($html2, qr{<link rel="canonical" href="\Q$SITE_URL\E/en/}, 'page 2 has a canonical link');
}

# ---- methods

for my $m (@methods) {
    my $res = request($m => $seed, 'Content-Type' => 'text/plain', 'Content-Length' => 0);
    ok t_cmp($res->code, 405, "$m answers 405");
    my $allow = $res->header('Allow') // '';
    ok t_cmp($allow, qr/\bGET\b/, "$m: Allow includes GET");
    ok t_cmp($allow, qr/^(?!.*\b\Q$m\E\b)/, "$m: Allow does not include $m");
}
{
    my $get = request(GET => $seed);
    my $head = request(HEAD => $seed);
    ok t_cmp($head->code, 200, 'HEAD answers 200');
    ok t_cmp($head->content, '', 'HEAD has an empty body');
    ok t_cmp($head->header('Content-Length') // 'none', length($get->content),
             'HEAD Content-Length is the GET body length');
    for my $h (qw(ETag Last-Modified Content-Type Content-Language)) {
        ok t_cmp($head->header($h) // 'none', $get->header($h) // 'missing',
                 "HEAD $h equals GET $h");
    }
}

# ---- every page kind: headers, <html>, canonical, alternates, validators

for my $p (@pages) {
    my ($path, $lang, $kind) = @$p;
    my $d = $dir{$lang};
    my $what = "$kind $path";
    my $res = request(GET => $path);
    my $html = html_of($res);
    ok t_cmp($res->code, 200, "$what: 200");
    ok t_cmp($res->header('Content-Type') // '', qr{^text/html;\s*charset=utf-8$}i,
             "$what: Content-Type text/html; charset=utf-8");
    ok t_cmp($res->header('Content-Language') // '', $lang, "$what: Content-Language $lang");
    ok t_cmp($html, qr{<html lang="$lang" dir="$d"[ >]}, "$what: <html lang=\"$lang\" dir=\"$d\">");

    my @l = links($html);
    my @canon = grep { $_->{tag} eq 'link' && ($_->{rel} // '') =~ /\bcanonical\b/i } @l;
    ok t_cmp(scalar @canon, 1, "$what: exactly one canonical link");
    my $canon = @canon ? $canon[0]{value} : '';
    ok t_cmp($canon, qr{^\Q$SITE_URL\E/}, "$what: canonical is absolute, under $SITE_URL");
    ok t_cmp($canon, qr{^[^\s<>"]+$}, "$what: canonical is a valid URL (no white space)");

    my @alt = grep { $_->{tag} eq 'link' && ($_->{rel} // '') =~ /\balternate\b/i
                     && defined $_->{hreflang} } @l;
    my %alt = map { $_->{hreflang} => $_->{value} } @alt;
    ok t_cmp(exists $alt{'x-default'} ? 'yes' : 'no', 'yes', "$what: hreflang x-default alternate");
    ok t_cmp($alt{$lang} // '', $canon, "$what: its own language is an alternate, the canonical URL");
    ok t_cmp(join(' ', grep { $alt{$_} !~ m{^\Q$SITE_URL\E/} } sort keys %alt), '',
             "$what: every alternate is absolute, under $SITE_URL");
    if ($kind eq 'article') {
        my @want = article_langs($path);
        ok t_cmp(join(' ', sort grep { $_ ne 'x-default' } keys %alt), join(' ', @want),
                 "$what: alternates are exactly its translations (@want)");
    }
    else {
        # The index and the authors page exist in every language; a
        # collection, author or tag page in its own language and in those
        # its list has articles in.
        my @want = map { $_->{code} } @{ $site->{langs} };
        if ($p->[3]) {
            my ($field, $key) = @{ $p->[3] };
            my %l = ($lang => 1);
            for my $a (@articles) {
                $l{ $a->{lang} } = 1 if grep { $_ eq $key } $field->($a);
            }
            @want = grep { $l{$_} } @want;
        }
        ok t_cmp(join(' ', sort grep { $_ ne 'x-default' } keys %alt), join(' ', sort @want),
                 "$what: alternates are exactly the languages it exists in (@want)");
    }
    # An alternate must be a page that exists: 200, or for x-default the
    # root's language redirect.
    my @dead;
    for my $hl (sort keys %alt) {
        (my $local = $alt{$hl}) =~ s{^\Q$SITE_URL\E}{};
        $local = Encode::encode('UTF-8', $local);
        $local =~ s{([^A-Za-z0-9/\-._~%?=&])}{sprintf '%%%02X', ord $1}ge;
        my $c = request(GET => $local)->code;
        push @dead, "$hl=$c" unless $c == 200 || ($hl eq 'x-default' && $c == 302);
    }
    ok t_cmp("@dead", '', "$what: every hreflang alternate answers 200 (x-default: 200 or 302)");

    my $etag = $res->header('ETag') // '';
    my $lm = $res->header('Last-Modified') // '';
    ok t_cmp($etag, qr{^"[^"]+"$}, "$what: strong ETag (quoted, no W/)");
    ok t_cmp(defined HTTP::Date::str2time($lm) ? 'valid' : "'$lm'", 'valid',
             "$what: Last-Modified is an HTTP date");
    my $again = request(GET => $path);
    ok t_cmp($again->header('ETag') // '', $etag, "$what: ETag stable across requests");
    my $c1 = request(GET => $path, 'If-None-Match' => $etag);
    ok t_cmp($c1->code . ' ' . length($c1->content), '304 0',
             "$what: If-None-Match of its ETag -> 304, no body");
    my $c2 = request(GET => $path, 'If-Modified-Since' => $lm);
    ok t_cmp($c2->code . ' ' . length($c2->content), '304 0',
             "$what: If-Modified-Since of its Last-Modified -> 304, no body");
    my $c3 = request(GET => $path, 'If-None-Match' => '"not-this-one"');
    ok t_cmp($c3->code, 200, "$what: If-None-Match of another ETag -> 200");
    my $head = request(HEAD => $path);
    ok t_cmp(($head->header('ETag') // '') . ' ' . ($head->header('Content-Length') // '')
             . ' ' . length($head->content),
             "$etag " . length($res->content) . ' 0',
             "$what: HEAD has the same ETag and Content-Length, and no body");
}
{
    my %alt = map { $_->{hreflang} => $_->{value} }
              grep { defined $_->{hreflang} && $_->{tag} eq 'link' } links(html_of(request(GET => $seed)));
    ok t_cmp($alt{de} // '', "$SITE_URL/de/european-languages/rethinking-pakistans-afghan-policy",
             'the seed article has an hreflang="de" alternate for its German translation');
    ok t_cmp($alt{'x-default'} // '', qr{^\Q$SITE_URL\E/}, 'the seed article has an x-default alternate');
}

# httpd merges "//" (MergeSlashes On by default) before the module sees the
# path, so /en// is the English index; its canonical says so.
{
    my $res = request(GET => '/en//');
    my ($c) = map { $_->{value} } grep { ($_->{rel} // '') eq 'canonical' } links(html_of($res));
    ok t_cmp($res->code == 404 ? 'not found' : ($c // 'no canonical'),
             qr{^(?:not found|\Q$SITE_URL\E/en/)$}, '/en// is a 404 or the index with its one canonical');
}

# ---- Persian tags

for my $t (@fa_tags) {
    my ($tag, $with) = @$t;
    (my $key = $tag) =~ s/ /-/g;
    my @want = sort map { url_of($_) } @$with;
    # Every spelling is sent to the one URL made from the folded key.
    my $res2 = request(GET => '/fa/tags/' . enc($tag));
    ok t_cmp($res2->code, $tag eq $key ? 200 : 301,
             "/fa/tags/$tag (percent-encoded) answers " . ($tag eq $key ? 200 : 301));
    ok t_cmp($res2->code == 301 ? $res2->header('Location') // '' : '/fa/tags/' . enc($key),
             qr{^(?:\Q$SITE_URL\E)?/fa/tags/\Q@{[enc($key)]}\E$},
             "/fa/tags/$tag leads to the folded key's URL");
    my $res = request(GET => '/fa/tags/' . enc($key));
    ok t_cmp($res->code, 200, "/fa/tags/$key (the folded key) answers 200");
    my @listed = sort grep { m{^/fa/(?!authors/|tags/)[^/]+/[^/]+$} } map { $_->{value} } links(html_of($res));
    ok t_cmp("@listed", "@want", "/fa/tags/$key lists exactly @want");
    my ($c1) = map { $_->{value} } grep { ($_->{rel} // '') eq 'canonical' } links(html_of($res));
    ok t_cmp($c1 // 'none', "$SITE_URL/fa/tags/" . enc($key), "$tag: the canonical URL is the key's");
}
{
    my $res = request(GET => '/fa/tags/' . enc('زبان-دری'));
    ok t_cmp(html_of($res), qr{دری: یک زبان با نام‌های گوناگون},
             'the tag page shows the Dari article title');
    ok t_cmp(request(GET => '/fa/tags/' . enc('ZABAN-DARI'))->code, 404,
             'a Latin-script spelling is another tag (404)');
}

# ---- hostile URLs: 4xx, never 5xx, and the server keeps answering

for my $path (@hostile) {
    my $res = request(GET => $path);
    my $show = length $path > 60 ? substr($path, 0, 40) . '...(' . length($path) . ' bytes)' : $path;
    ok t_cmp($res->code, qr/^4\d\d$/, "hostile $show answers 4xx");
    ok t_cmp($res->content, qr/^(?!.*root:x:0:)/s, "hostile $show shows nothing of /etc/passwd");
}
ok t_cmp(request(GET => $seed)->code, 200, 'the seed page still answers after the hostile requests');
