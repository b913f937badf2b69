# The per-process memo of related lists (issue #14): an answer is kept per
# repository version, article, visibility and options, so it must never be
# served for another of those.  /memo serves a scratch copy of t/repo-related
# without kin-tags and with a draft sharing hub's tags and text (t/run-tests
# lays t/repo-memo over it); /memo-preview serves the same repository under
# ArticlesPreview; /memo-b serves a copy of t/repo-related as it is, whose
# store starts at the same version number, with hub at the same document id.  Each page is asked for
# several times in a row, so the later answers come from the memo of the
# process that served the first.  The memo of documents' words behind search
# snippets must follow an edited article the same way.
#
# The memo of search hits is keyed by version, language, query and window,
# and holds hits before the view hides any: each language and each page of
# results gets its own; a view that hides the draft (/memo, where English
# searches filter the memo's hits) never shows it, one that shows it
# (/memo-preview) always does; articles.search in a filter (/memo-api) gets
# the same hits for any window; and an article added or removed shows at
# once in every one of those paths, in a language with the draft and one
# without.
#
# Waits poll until a deadline (poll_until), never for a fixed time.
use utf8;
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use URI::Escape qw(uri_escape_utf8);
use lib 't/lib';
use ArticlesTest qw(stage write_utf8 poll_until);

plan tests => 24;

my $repo = stage() . '/scratch/memo';
my $wait = 20;

# The related article paths of a page, below its location, as one string.
sub related {
    my ($pfx, $path) = @_;
    my ($section) = GET("$pfx$path")->content
        =~ m{<section class="related">(.*?)</section>}s;
    return join ' ', map { s{^\Q$pfx\E}{}r }
        ($section // '') =~ m{<li[^>]*><a href="([^"]+)"}g;
}

# The answer of $n requests in a row when they all agree, else all of them.
sub steady {
    my ($pfx, $path, $n) = @_;
    my @all = map { related($pfx, $path) } 1 .. ($n // 6);
    my %seen = map { $_ => 1 } @all;
    return keys(%seen) == 1 ? $all[0] : join(' | ', @all);
}

sub has { my ($list, $path) = @_; return (grep { $_ eq $path } split / /, $list) ? 1 : 0 }

my $hub = '/en/topics/hub';

# Two repositories with the same article ids: each its own answers, whichever
# is asked first.
my $memo = steady('/memo', $hub);
my $rel = steady('/memo-b', $hub);
ok t_cmp(has($rel, '/en/topics/kin-tags'), 1, '/memo-b lists kin-tags');
ok t_cmp(has($memo, '/en/topics/kin-tags') . ' ' . has(steady('/memo', $hub), '/en/topics/kin-tags'),
         '0 0', '/memo, whose repository has no kin-tags, never lists it');

# Public and preview views of one repository: the draft only under preview,
# asked for in turn, so that processes serving both have kept each answer
# when the other is asked for.
ok t_cmp(has($memo, '/en/topics/zz-draft'), 0, 'publicly the draft is not related');
my ($public, $preview) = ('', '');
for (1 .. 12) {
    $preview .= has(related('/memo-preview', $hub), '/en/topics/zz-draft');
    $public .= has(related('/memo', $hub), '/en/topics/zz-draft');
}
ok t_cmp($preview, '1' x 12, 'under preview it is, every time');
ok t_cmp($public, '0' x 12, 'publicly it never is, though the preview answer was kept');

# A new version: an article added while the server runs, with hub's tags and
# text and an older date than the newest public article (so the moment the
# view shows does not change: only the version does).
ok t_cmp(has($memo, '/en/topics/memo-new'), 0, 'the new article is not listed before it exists');
write_utf8("$repo/topics/memo-new.xml", <<'XML');
<?xml version="1.0" encoding="UTF-8"?>
<article id="memo-new" xml:lang="en" published="2025-01-20">
  <title>Helmand river dams and irrigation canals, again</title>
  <author ref="farid-noori"/>
  <tags><tag>rivers</tag><tag>water</tag></tags>
  <body>
    <p>The Helmand river feeds irrigation canals across the south. Dams upstream
    store the spring floods, and the canals carry the water to orchards and
    wheat fields. Sediment fills the reservoirs, and farmers dredge the canals
    every winter.</p>
  </body>
</article>
XML
my $after = poll_until($wait, sub {
    my $r = steady('/memo', $hub);
    return has($r, '/en/topics/memo-new') ? $r : undef;
}) // steady('/memo', $hub);
ok t_cmp(has($after, '/en/topics/memo-new'), 1,
         'after the repository changed, every process lists the new article');
ok t_cmp(has(steady('/memo-b', $hub), '/en/topics/memo-new'), 0,
         'the other repository does not');

unlink "$repo/topics/memo-new.xml";
my $gone = poll_until($wait, sub {
    my $r = steady('/memo', $hub);
    return has($r, '/en/topics/memo-new') ? undef : ($r || 'none');
}) // steady('/memo', $hub);
ok t_cmp(has($gone, '/en/topics/memo-new'), 0, 'and after it is removed, none does');

# Snippets: kin-text's, for a word of its body, before and after its body
# changes (the same file, so the same document, in a new version).
sub snippet_of {
    my $res = GET('/memo/en/search?q=reservoirs');
    my ($item) = $res->content =~ m{href="/memo/en/topics/kin-text".*?<p class="snippet">(.*?)</p>}s;
    return $item // 'none';
}
my $before = join ' | ', map { snippet_of() } 1 .. 6;
ok t_cmp($before, qr{<mark>reservoirs</mark>}, 'kin-text has a snippet for reservoirs');
my $kin = "$repo/topics/kin-text.xml";
open my $fh, '<:encoding(UTF-8)', $kin or die "$kin: $!";
my $xml = do { local $/; <$fh> };
close $fh;
$xml =~ s/reservoirs/reservoirs of Kajaki/ or die "kin-text.xml changed";
write_utf8($kin, $xml);
my $snip = poll_until($wait, sub {
    my @all = map { snippet_of() } 1 .. 6;
    return (grep { !/Kajaki/ } @all) ? undef : $all[0];
}) // join ' | ', map { snippet_of() } 1 .. 6;
ok t_cmp($snip, qr{<mark>reservoirs</mark> of Kajaki}, 'after the edit every process shows the new text');

# ---------------------------------------------------------------- search hits
#
# The memo is per process, so each group of requests below goes over one
# kept-alive connection, which one process serves: what one request leaves
# in the memo is there for the next, and a memo that answered one request
# with another's hits would show it.  (A connection httpd closes after its
# hundredth request is reopened, perhaps to another process: each group
# starts a new one and stays well below that.)

sub one_process { Apache::TestRequest::user_agent(reset => 1, keep_alive => 1) }

# The articles a search page lists, "lang/id" in rank order (as the filter
# of /memo-api writes them), or its status when it is not a page.
sub hits {
    my ($pfx, $lang, $q, $page) = @_;
    my $res = GET("$pfx/$lang/search?q=" . uri_escape_utf8($q)
                  . ($page ? "&page=$page" : ''));
    return 'status ' . $res->code if $res->code != 200;
    return join ' ', map { m{^\Q$pfx\E/([^/]+)/.*/([^/]+)$} ? "$1/$2" : $_ }
        $res->content =~ m{<article class="item"[^>]*>\s*<h2><a href="([^"]+)"}g;
}

# What articles.search answers in the filter of /memo-api: "total:lang/id …".
sub api {
    my ($lang, $q, $limit, $offset) = @_;
    my $res = GET("/memo-api/en/?lang=$lang&q=" . uri_escape_utf8($q)
                  . "&limit=$limit&offset=$offset");
    my ($got) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
    return $got // 'status ' . $res->code;
}

# The answers to $n rounds of the probes, asked in turn, each probe's
# different answers joined with " | ".
sub rounds {
    my ($n, @probes) = @_;
    my @got = map { [] } @probes;
    for (1 .. $n) {
        push @{ $got[$_] }, $probes[$_]->() for 0 .. $#probes;
    }
    return map {
        my %seen;
        join ' | ', grep { !$seen{$_}++ } @$_;
    } @got;
}

sub count { my @l = split / /, shift; return scalar @l }
sub in_lang { my ($lang, $list) = @_; return $list ne '' && !grep { !m{^\Q$lang\E/} } split / /, $list }

# The same query in two languages of a repository without drafts: each its
# own hits, whichever was asked first.
one_process();
my ($en, $de) = rounds(4, sub { hits('/memo-b', 'en', 'Helmand') },
                       sub { hits('/memo-b', 'de', 'Helmand') });
ok t_cmp(in_lang('en', $en) ? 'English' : $en, 'English',
         'an English search lists English articles, every time');
ok t_cmp(in_lang('de', $de) ? 'Deutsch' : $de, 'Deutsch',
         'the same query in German lists German ones, every time');

# Pages of one query (two results a page at /memo-b): each its own hits.
my $six = 'helmand bolani tamarind chess';
one_process();
my @pages = rounds(4, map { my $n = $_; sub { hits('/memo-b', 'en', $six, $n) } } 1 .. 3);
my @all = map { split / / } @pages;
my %once;
ok t_cmp(join(' ', map { count($_) } @pages) . ', '
         . (grep({ $once{$_}++ } @all) ? 'repeated' : 'none repeated'),
         '2 2 2, none repeated',
         'pages 1 to 3 of a query: two results each, every time, no page repeating another');

# Draft visibility: the draft's own word, and words of the draft and of
# six public articles (three a page at /memo, from the configuration of
# "/"), asked in turn under preview and publicly, so that each view's answer
# is kept when the other is asked.  A page never lists an article its view
# hides, so a view served another's hits would show a page short, not the
# draft: the public pages must be the preview's hits without the draft,
# three a page.
sub pages {
    my ($pfx, $lang, $q) = @_;
    my @listed;
    for my $p (1 .. 10) {
        my $got = hits($pfx, $lang, $q, $p);
        last if $got =~ /^status / || $got eq '';
        push @listed, $got;
    }
    return join ' / ', @listed;
}
sub in_threes {
    my @l = @_;
    my @pages;
    push @pages, join ' ', splice @l, 0, 3 while @l;
    return join ' / ', @pages;
}
my $seven = 'helmand bolani tamarind chess draft';
one_process();
my ($pre_draft, $pub_draft, $pre_all, $pub_all, $api_draft) = rounds(3,
    sub { hits('/memo-preview', 'en', 'draft') },
    sub { hits('/memo', 'en', 'draft') },
    sub { pages('/memo-preview', 'en', $seven) },
    sub { pages('/memo', 'en', $seven) },
    sub { api('en', 'draft', 10, 0) });
ok t_cmp($pre_draft, 'en/zz-draft', 'under preview, a search for the draft finds it, every time');
ok t_cmp($pub_draft, '', 'publicly it finds nothing, every time');
ok t_cmp(($pre_all =~ m{\ben/zz-draft\b} ? 1 : 0) . ' ' . $pub_all,
         '1 ' . in_threes(grep { m{^en/} && $_ ne 'en/zz-draft' } split / /, $pre_all),
         'every page of a search for its words and others: publicly the same hits without it, every time');
ok t_cmp($api_draft, '0:', 'nor does articles.search find it, publicly');

# articles.search walks the hits window by window, in a language whose
# searches filter out the draft (en) and one without it (fa): all at once
# and one at a time from each offset, it finds what the search pages list
# (three a page at /memo, from the configuration of "/").
for my $case (['en', $six], ['fa', 'هلمند']) {
    my ($lang, $q) = @$case;
    one_process();
    my $page = pages('/memo', $lang, $q) =~ s{ / }{ }gr;
    my $n = count($page);
    my ($whole, $one) = rounds(2, sub { api($lang, $q, 10, 0) },
        sub { join ' ', map { api($lang, $q, 1, $_) =~ s/^\d+://r } 0 .. $n - 1 });
    ok t_cmp("$whole; $one", "$n:$page; $page",
             "$lang: articles.search whole and one at a time gives the page's hits");
}
ok t_cmp(api('en', 'Helmand', 10, '9223372036854775807'), '0:',
         'articles.search from an offset near the largest integer: nothing');

# A new version: an article with a word no other has, in English (where
# public searches filter the draft out of the memo's hits) and in Dari
# (where they read the memo's hits as they are), first searched for while it
# is absent, in every path.  Once its page is served, every search of the
# same process must find it at once, and once its page is gone, none.
my %word = (en => 'pomegranate', fa => 'انار');
my @paths = (
    [ 'public', 'en', sub { hits('/memo', 'en', $word{en}) } ],
    [ 'preview', 'en', sub { hits('/memo-preview', 'en', $word{en}) } ],
    [ 'public', 'fa', sub { hits('/memo', 'fa', $word{fa}) } ],
    [ 'articles.search', 'en', sub { api('en', $word{en}, 10, 0) =~ s/^\d+://r } ],
    [ 'articles.search', 'fa', sub { api('fa', $word{fa}, 10, 0) =~ s/^\d+://r } ],
);
sub every_path { return join ', ', map { "$_->[0] $_->[1]: " . $_->[2]->() } @paths }
sub every_path_finds {
    my $found = shift;
    return join ', ', map { "$_->[0] $_->[1]: " . ($found ? "$_->[1]/memo-found" : '') } @paths;
}
sub served { my $want = shift; return !grep { GET("/memo/$_/topics/memo-found")->code != $want } qw(en fa) }

one_process();
my $absent = every_path();
every_path();
ok t_cmp($absent, every_path_finds(0), 'before it exists, no path finds the new article');
write_utf8("$repo/topics/memo-found.xml", <<"XML");
<?xml version="1.0" encoding="UTF-8"?>
<article id="memo-found" xml:lang="en" published="2024-06-01">
  <title>Orchards of the south</title>
  <author ref="farid-noori"/>
  <body><p>The $word{en} orchards of Kandahar.</p></body>
</article>
XML
write_utf8("$repo/topics/memo-found.fa.xml", <<"XML");
<?xml version="1.0" encoding="UTF-8"?>
<article id="memo-found" xml:lang="fa" published="2024-06-01">
  <title>باغ‌های جنوب</title>
  <author ref="farid-noori"/>
  <body><p>باغ‌های $word{fa} قندهار.</p></body>
</article>
XML
poll_until($wait, sub { served(200) });
ok t_cmp(join(' | ', every_path(), every_path()),
         join(' | ', (every_path_finds(1)) x 2),
         'once it is served, every path finds it at once');
unlink "$repo/topics/memo-found.xml", "$repo/topics/memo-found.fa.xml";
poll_until($wait, sub { served(404) });
ok t_cmp(join(' | ', every_path(), every_path()),
         join(' | ', (every_path_finds(0)) x 2),
         'once it is gone, no path finds it');
