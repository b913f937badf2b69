# What a filter sees (SPEC §5): the page fields, read-only article views with
# the documented fields, the articles API, and the request object with its
# safety rules for headers and redirects.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(decode_entities);

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
    'author1=Abbas Hashemite', 'get=true', 'find=2', 'langs=4', 'require=true',
);

plan tests => @expect + 9;

my $res = GET "/lua/fields$seed", Cookie => 'probe=probe-value';
my ($seen) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
my %got = map { $_ => 1 } split /\|/, decode_entities($seen // '');
for my $e (@expect) {
    ok t_cmp($got{$e} ? $e : "not seen (saw: " . join(' ', sort keys %got) . ")",
             $e, "filter sees $e");
}

$res = GET "/lua/redirect/en/?to=local";
ok t_cmp($res->code, 301, 'r:redirect to a relative URL with its status');
ok t_cmp($res->header('Location') // '', qr{/en/$}, 'Location set by r:redirect');

$res = GET "/lua/redirect/en/?to=evil";
ok t_cmp($res->code, 500, 'r:redirect refuses another host');

$res = GET "/lua/redirect/en/?to=site";
ok t_cmp($res->header('Location') // '', 'https://www.afgazad.com/fa/',
         'r:redirect to a host named by ArticlesRedirectHosts');

$res = GET "/lua/redirect/en/?to=userinfo";
ok t_cmp($res->code, 500, 'r:redirect sees through user@host');

$res = GET "/lua/redirect/en/?header=crlf";
ok t_cmp($res->code, 500, 'r:set_header refuses CR/LF');
ok t_cmp(defined $res->header('Set-Cookie') ? 'injected' : 'clean', 'clean',
         'no header was injected');

$res = GET "/lua/redirect/en/?header=ok";
ok t_cmp($res->header('X-Test') // '', 'fine', 'r:set_header sets a header');
ok t_cmp($res->code, 200, 'and the page is served');
