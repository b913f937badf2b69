# What a filter sees (SPEC §5): the page fields, read-only article views with
# the documented fields, the articles API, and the request object with its
# safety rules for headers and redirects.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Encode ();
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(decode_entities sample_articles logged_request server_error);

my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

# See redirects as they are sent.
Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0);

my @expect = (
    'kind=article', 'lang=en', 'dir=ltr', 'method=GET', "path=$seed",
    'ua=true', 'cookie=probe-value', 'strings=table', 'site=table',
    'related=table',
    map({ "a.$_" } qw(id:string lang:string dir:string title:string
                      summary:string published:string collection:table
                      translation:string url:string body:string authors:table
                      tags:table translations:table)),
    'author1=Abbas Hashemite', 'get=true', 'find=2', 'find_far=0', 'find_mid=0', 'langs=4', 'require=true',
);

plan tests => @expect + 19;

my $res = GET "/lua/fields$seed", Cookie => 'probe=probe-value';
my ($seen) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
my %got = map { $_ => 1 } split /\|/, decode_entities($seen // '');
for my $e (@expect) {
    ok t_cmp($got{$e} ? $e : "not seen (saw: " . join(' ', sort keys %got) . ")",
             $e, "filter sees $e");
}

# articles.related on the Azerbaijan article (2025-03-03, Abbas Hashemite;
# tags shared with the other sample articles by construction of the sample):
# the two best by shared tags, then Abbas Hashemite's other English articles
# newest first, then the best one not newer than it, then nothing.
my $aze = '/en/european-languages/strengthening-bilateral-ties-between-pakistan-and-azerbaijan';
my ($rel) = GET("/lua/related$aze")->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
my @parts = split /\|/, ($rel // ''), -1;
# The default scoring: one point a shared tag, at most one more for text
# similarity.  So of the two listed, neither shares fewer tags than an English
# article left out, less one; the counts come from the sample's files.
my @sample = sample_articles();
my ($aze_a) = grep { $_->{lang} eq 'en' && $aze =~ m{/\Q$_->{id}\E$} } @sample;
my %aze_tag = map { $_ => 1 } @{ $aze_a->{tags} };
my %shared = map { $_->{id} => scalar(grep { $aze_tag{$_} } @{ $_->{tags} }) }
             grep { $_->{lang} eq 'en' && $_ != $aze_a } @sample;
my @best = split /,/, $parts[0] // '';
my %chosen = map { $_ => 1 } @best;
my @left = grep { !$chosen{$_} } keys %shared;
my @wrong = grep { !defined $shared{$_} || !$shared{$_}
                   || grep({ $shared{$_} > ($shared{ $best[0] // '' } // 0) + 1 } @left)
                   || grep({ $shared{$_} > ($shared{ $best[1] // '' } // 0) + 1 } @left) } @best;
ok t_cmp(@best == 2 && keys %chosen == 2 && !@wrong ? 'the two best' : "'$parts[0]'",
         'the two best', 'articles.related with a limit: two English articles sharing the most tags');
ok t_cmp($parts[1] // 'none',
         'rethinking-pakistans-afghan-policy,balochistan-attack-new-front-in-global-power-struggles',
         'articles.related by shared authors, newest first');
# Of the English articles sharing a tag with it, only the 7th Round article
# (2025-02-14) is not newer than the Azerbaijan one.
ok t_cmp($parts[2] // 'none',
         '7th-round-of-the-pakistan-turkey-high-level-strategic-cooperation-council',
         'articles.related without newer articles');
ok t_cmp($parts[3] // 'none', '', 'articles.related with an unreachable min_score is empty');

# articles.search with snippets, and articles.snippet (t/lua/search_api.lua):
# "total|n|#snippets|third value without snippets|id|snippet|id|snippet|snippet".
my ($srch) = GET("/lua/search$aze")->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
my @s = split /\|/, decode_entities($srch // ''), -1;
ok t_cmp("@s[1, 2]", '2 2', 'articles.search with snippets: one snippet per result');
ok t_cmp($s[3] // 'none', 'nil', 'no third value without opts.snippets');
ok t_cmp($s[4] // 'none', 'strengthening-bilateral-ties-between-pakistan-and-azerbaijan',
         'the Azerbaijan article ranks first');
ok t_cmp($s[5] // 'none', qr{<mark>Azerbaijan</mark>}, 'its snippet marks the query word');
# 80 bytes from the first match, up to a fifth of that before it, and the
# two "… " marks; the default (240) would give more from this long body.
my $bytes = length(Encode::encode('UTF-8', ($s[5] // '') =~ s/<\/?mark>//gr));
ok t_cmp($bytes > 40 && $bytes <= 80 + 16 + 8 ? 'bounded' : $bytes, 'bounded',
         'opts.length bounds the snippet text');
ok t_cmp($s[-1] // 'none', qr{<mark>Azerbaijan</mark>},
         'articles.snippet matches case-insensitively and marks the text as written');

$res = GET "/lua/redirect/en/?to=local";
ok t_cmp($res->code, 301, 'r:redirect to a relative URL with its status');
ok t_cmp($res->header('Location') // '', qr{/en/$}, 'Location set by r:redirect');

my $log;
($res, $log) = logged_request(GET => "/lua/redirect/en/?to=evil");
ok t_cmp(server_error($res, $log), 'server 500', 'r:redirect refuses another host');

$res = GET "/lua/redirect/en/?to=site";
ok t_cmp($res->header('Location') // '', 'https://www.afgazad.com/fa/',
         'r:redirect to a host named by ArticlesRedirectHosts');

($res, $log) = logged_request(GET => "/lua/redirect/en/?to=userinfo");
ok t_cmp(server_error($res, $log), 'server 500', 'r:redirect sees through user@host');

($res, $log) = logged_request(GET => "/lua/redirect/en/?header=crlf");
ok t_cmp(server_error($res, $log), 'server 500', 'r:set_header refuses CR/LF');
ok t_cmp(defined $res->header('Set-Cookie') ? 'injected' : 'clean', 'clean',
         'no header was injected');

$res = GET "/lua/redirect/en/?header=ok";
ok t_cmp($res->header('X-Test') // '', 'fine', 'r:set_header sets a header');
ok t_cmp($res->code, 200, 'and the page is served');
