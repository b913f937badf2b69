# The lazy page model (conf/page-model.md, "How the page is made"): fields
# computed on first read still look eager to filters (pairs, next, rawget,
# setmetatable), a field set to nil stays nil, what one request's filter
# changes never reaches the next request's page, the JSON-LD a filter did not
# touch is the same as the one it read, and articles.defer fields are
# evaluated only when read, inside the request's budgets.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(logged_request server_error timed quick QUICK sample_articles);

Apache::TestRequest::user_agent(reset => 1, timeout => 6 * QUICK);

my $seed = '/pm/en/european-languages/rethinking-pakistans-afghan-policy';
sub mode { GET("$seed?mode=$_[0]") }

plan tests => 65;

my $plain = GET($seed);
ok t_cmp($plain->code, 200, 'the page renders under /pm');
my $body = $plain->content;
my ($ld) = $body =~ m{<script type="application/ld\+json">(.*?)</script>}s;
ok t_cmp(defined $ld && length $ld > 100 ? 'json-ld' : 'none', 'json-ld',
         'the plain page has its JSON-LD');

# A page kept past its request computes nothing for a later one: it holds
# what filters read while it was current (strings), not what only the
# template read (site) nor the JSON-LD table nobody read.  The stash is per
# state: ask until a request lands on a state that kept one.
my $stale;
for (1 .. 30) {
    last if defined($stale = mode('stash')->header('X-PM-Stale'));
}
ok t_cmp($stale // 'no state reused', 'table nil nil',
         'a stale page: what filters read stays, nothing is computed any more');

# The version cache's tables that only the template read are handed to it
# unchecked; nothing a filter keeps or a lambda or __index function reaches
# may change them unseen.  Every page after such a change is the plain one.
# (These come before the modes that walk the page: a table a filter was
# handed once is checked, and put in the page, on every later read.)
sub clean_after {
    my ($what) = @_;
    my $clean = 0;
    for (1 .. 10) { $clean++ if GET($seed)->content eq $body }
    ok t_cmp($clean, 10, "$what: the later pages are the plain page");
}
my ($kept, $kept_res);
for (1 .. 30) {
    $kept_res = mode('keep');
    last if defined($kept = $kept_res->header('X-PM-Kept'));
}
ok t_cmp($kept // 'no state reused', 'nil nil table',
         'a kept page holds no table only the template read; a kept author list is kept');
ok t_cmp($kept_res->content, $body,
         'changing them in a later request: that page is the plain page');
clean_after('kept page and author list changed');
my $res = mode('lambda');
ok t_cmp($res->code, 200, 'a lambda changing page.og and page.site while rendering');
clean_after('lambda');
$res = mode('index_fn');
ok t_cmp($res->content =~ /INDEX-STRING/ ? 'shown' : 'missing', 'shown',
         'a Lua __index reaching page.strings while rendering: its page shows the change');
ok t_cmp($res->content =~ /INDEX-TW|INDEX-AUTHOR/ ? 'shown' : 'not shown', 'not shown',
         'and not what it changed after the template read it');
clean_after('Lua __index');

# pairs and next see every field of the page model (page-model.md), and the
# deferred more_by_author of author.lua.
$res = mode('keys');
my %keys = map { $_ => 1 } split / /, ($res->header('X-PM-Pairs') // '');
my @core = qw(kind status lang dir base path url canonical alternates site strings
              article collection related og twitter jsonld search_url languages
              byline bios date_text has_related more_by_author);
ok t_cmp(join(' ', grep { !$keys{$_} } @core), '', 'pairs(page) sees every field');
ok t_cmp($res->header('X-PM-Next'), scalar(keys %keys), 'next sees as many as pairs');
ok t_cmp($res->content, $body, 'walking the page changes nothing');

# author.lua's deferred page.more_by_author, read by a later filter: the
# first author's other articles in the article's language, newest first, at
# most five (from the XML, by id).
my @more = map { $_->{id} }
           sort { $b->{published} cmp $a->{published} }
           grep { $_->{lang} eq 'en' && $_->{id} ne 'rethinking-pakistans-afghan-policy'
                  && grep({ $_ eq 'abbas-hashemite' } @{ $_->{authors} }) }
           sample_articles();
splice @more, 5 if @more > 5;
ok t_cmp(mode('more')->header('X-PM-More'), join(' ', @more),
         "more_by_author lists the first author's other articles");

$res = mode('next');
ok t_cmp($res->header('X-PM-Next'), scalar(keys %keys), 'a raw next walk sees them all');
ok t_cmp($res->header('X-PM-Rawget'), 'table', 'rawget finds a field never read');

$res = mode('metatable');
ok t_cmp($res->header('X-PM-Meta'), 'table meta-nothing_here',
         "a filter's own metatable on page: the page was settled first");
ok t_cmp($res->content =~ /<meta property="og:title"/ ? 'og' : 'no og', 'og',
         'and the template still sees the module fields');

# A field set to nil before anyone read it stays nil.
$res = mode('nil_fields');
ok t_cmp($res->header('X-PM-Nil'), 'nil nil nil nil', 'fields set to nil read nil');
ok t_cmp($res->content =~ /property="og:|name="twitter:|ld\+json/ ? 'present' : 'gone',
         'gone', 'og, twitter and JSON-LD are not recomputed');
ok t_cmp($res->content =~ m{<nav class="languages"[^>]*>\s*<ul>\s*<li} ? 'present' : 'gone', 'gone',
         'nor is the languages list');

# What a filter changes shows on its page, and never on the next ones.
$res = mode('mutate');
for my $m (qw(MUTATED-SITE MUTATED-TITLES MUTATED-STRING MUTATED-LANG MUTATED-OG
              MUTATED-TW MUTATED-LD MUTATED-COLL)) {
    ok t_cmp($res->content =~ /\Q$m\E/ ? 'shown' : 'missing', 'shown',
             "the mutating request shows $m");
}
my $leaks = 0;
my $same = 0;
for (1 .. 20) {
    my $c = GET($seed)->content;
    $leaks++ if $c =~ /MUTATED/;
    $same++ if $c eq $body;
}
ok t_cmp($leaks, 0, 'no later request shows what that filter changed');
ok t_cmp($same, 20, 'later pages are byte for byte the plain page');

# JSON-LD a filter read is made from the table; untouched, it comes from the
# version cache: the same bytes either way.
my ($ld_touched) = mode('touch')->content
    =~ m{<script type="application/ld\+json">(.*?)</script>}s;
ok t_cmp($ld_touched, $ld, 'JSON-LD read by a filter == JSON-LD untouched');
ok t_cmp(mode('touch')->content, $body, 'and the whole page is the same');

# articles.defer
$res = mode('defer_shown');
ok t_cmp($res->content, qr{<time datetime="[^"]+">DEFERRED-article</time>},
         'a deferred field read by the template is evaluated');
$res = mode('defer_once');
ok t_cmp($res->header('X-PM-Defer'), 'v1 v1 1', 'evaluated once, then a plain field');
$res = mode('defer_pairs');
ok t_cmp($res->header('X-PM-Defer'), 'walked', 'pairs evaluates deferred fields');
$res = mode('defer_set');
ok t_cmp($res->code, 200, 'a deferred field assigned before it was read is dropped');
ok t_cmp($res->content, qr{>SET-AFTER-DEFER</time>}, 'and the assigned value shows');
$res = mode('defer_nil');
ok t_cmp($res->content =~ /NOT-THIS/ ? 'evaluated' : 'nil', 'nil',
         'a deferred field set to nil stays nil');
$res = mode('defer_core');
ok t_cmp($res->content, qr{<meta property="og:title" content="DEFERRED-OG">},
         'a core field can be deferred');
ok t_cmp($res->content =~ /og:site_name/ ? 'built' : 'not built', 'not built',
         'and then the module never builds it');
my ($took, $unread) = timed(sub { mode('defer_unread') });
ok t_cmp($unread->code, 200, 'a deferred endless loop nobody reads costs nothing');
$res = mode('defer_jsonld');
ok t_cmp($res->content, qr{<script type="application/ld\+json">\{"\@type":"Thing","name":"DEFERRED-LD"\}</script>},
         'a deferred page.jsonld is what the module writes');
mode('selfref') for 1 .. 3;
my $clean = 0;
($took) = timed(sub { for (1 .. 10) { $clean++ if GET($seed)->content eq $body } });
ok t_cmp($clean, 10, 'a cached table made to hold itself is made anew');
ok t_cmp($took < 6 * QUICK ? 'quick' : "$took s", 'quick', 'and checking it stays cheap');
$res = mode('defer_bad');
ok t_cmp($res->header('X-PM-Defer'), 'false not the page',
         'articles.defer takes only the page of the request');

# Deferred work read by the template is still the request's: its budgets
# stop it, the client gets the generic 500, the log names the filter.
for my $case ([ defer_loop => qr{ART0202: .*page_model\.lua \(deferred page\.date_text\) exceeded its (?:instruction|time) budget for /en/} ],
              [ defer_mem => qr{ART0202: .*page_model\.lua \(deferred page\.date_text\) exceeded its memory budget} ],
              [ defer_error => qr{ART0201: .*page_model\.lua \(deferred page\.date_text\).*deferred-secret-detail} ]) {
    my ($name, $logged) = @$case;
    my ($t, $r, $log) = timed(sub { logged_request(GET => "$seed?mode=$name") });
    ok t_cmp(server_error($r, $log), 'server 500', "$name: httpd's generic 500");
    ok t_cmp(quick($t), 'quick', "$name: answered within " . QUICK . ' s');
    ok t_cmp($log, $logged, "$name: logged as the filter's, with the budget");
    ok t_cmp($r->content =~ /deferred-secret|\.lua|traceback/ ? 'leaked' : 'nothing leaked',
             'nothing leaked', "$name: the client sees no script detail");
}
ok t_cmp(GET($seed)->content, $body, 'the server still serves the same page');

# The version cache is dropped when what it holds would pass an eighth of
# ArticlesLuaMemory, not when the state does: a state holding garbage (or a
# filter's data) above that keeps its cache.  Per state: ask until a request
# lands on a state that read page.site before (last: a filter reading
# page.site exposes the cached table, see "clean_after" above).
my $room;
for (1 .. 30) {
    last if defined($room = mode('cache_room')->header('X-PM-Cache'));
}
ok t_cmp($room // 'no state reused', 'kept ' . 5 * 1024 * 1024,
         'a state holding more than an eighth of its cap keeps its version cache');

# Each page ends with a young collection (art_lua_finish), which frees that
# page's garbage but never old garbage: data a state kept over several pages
# and then dropped.  The module's full collection, once a state holds twice
# what it held after the last one, bounds it; without that a state would hold
# up to its cap (32M here) before Lua's emergency collection.  What each
# state holds after each page is in its ART0012 line.
my ($held, $pages) = (0, 0);
for (1 .. 300) {
    my ($r, $log) = logged_request(GET => '/pmgc/en/?mode=old_garbage');
    $pages++ if $r->code == 200;
    for ($log =~ /ART0012: Lua state holds (\d+) bytes/g) {
        $held = $_ if $_ > $held;
    }
}
ok t_cmp($pages, 300, 'pages that leave old garbage behind are served');
ok t_cmp($held > 0 && $held < 5 * 1024 * 1024 ? 'bounded' : "held $held bytes", 'bounded',
         'a state left 48K of old garbage by every page stays under 5M');

# A page's own strings (path, url, canonical, search_url, feed_url) are kept
# per page in the version cache: every page, asked in turn on the same
# states, gets its own, as its HTML shows them (the canonical link, the
# masthead's search link, the Atom link of a list).  The root's are those
# of the language the client asked for, never another client's.
sub urls_of {
    my ($res, $url) = @_;
    my $html = $res->content;
    my ($canon) = $html =~ m{<link rel="canonical" href="([^"]+)">};
    my ($search) = $html =~ m{<a href="([^"]*/search)">};
    my ($feed) = $html =~ m{<link rel="alternate" type="application/atom\+xml" href="([^"]+)"};
    (my $path = $url) =~ s{^/pm}{};
    return join ' ', $path, $url, $canon // '?', $search // '?', $feed // 'nil';
}
my @pages = ($seed, '/pm/en/', '/pm/de/', '/pm/fa/',
             '/pm/en/european-languages/', '/pm/en/authors/abbas-hashemite',
             '/pm/de/european-languages/rethinking-pakistans-afghan-policy');
my %want = map { $_ => urls_of(GET($_), $_) } @pages;
my @wrong;
for my $round (1 .. 6) {
    for my $url (@pages) {
        my $got = GET("$url?mode=urls")->header('X-PM-Urls') // 'no header';
        push @wrong, "$url: $got" if $got ne $want{$url};
    }
}
ok t_cmp("@wrong", '', "each page's own URLs, asked in turn");
my @roots;
for my $round (1 .. 6) {
    for my $lang (qw(de fa en)) {
        my $got = GET('/pm/?mode=urls', redirect_ok => 0, 'Accept-Language' => $lang)->header('X-PM-Urls')
            // 'no header';
        my ($search) = $got =~ m{ (\S+/search) };
        push @roots, "$lang: $got" if ($search // '') ne (split ' ', $want{"/pm/$lang/"})[3];
    }
}
ok t_cmp("@roots", '', "the root's search_url is that of the client's language");
