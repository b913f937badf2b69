# ArticlesLuaMemory, ArticlesLuaPath and ArticlesMaxFileSize set in a
# <VirtualHost> apply to its requests (issue #12): they were read from the
# main server only.  The virtual host and a main-server location serve the
# same repository and filter (t/conf/extra.conf.in); the virtual host's
# require path holds a module the main one lacks, its Lua cap (2M) is below a
# 4 MB string, and its file size limit (6K), which applies to the repository
# copy only it names, below one article of the sample site.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(decode_entities);

plan tests => 6;

sub tagline {
    my ($res) = @_;
    my ($t) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
    return decode_entities($t // '(no tagline: ' . $res->code . ')');
}

my $main = GET '/lua/vhost_probe/en/';
ok t_cmp(tagline($main), 'vhostmod=no', 'main server: its own ArticlesLuaPath');
ok t_cmp(tagline(GET '/lua/vhost_probe/en/?alloc'),
         'vhostmod=no alloc=' . 4 * 1024 * 1024, 'main server: the default Lua cap');

Apache::TestRequest::module('articles_vhost');
ok t_cmp(tagline(GET '/en/'), 'vhostmod=yes', 'virtual host: its ArticlesLuaPath');
ok t_cmp(GET('/en/?alloc')->code, 500, 'virtual host: its ArticlesLuaMemory');
my $page = '/en/european-languages/rethinking-pakistans-afghan-policy';
ok t_cmp(GET($page)->code, 404,
         'virtual host: a 6.4 KB article over its ArticlesMaxFileSize');
Apache::TestRequest::module('default');
ok t_cmp(GET("/lua/vhost_probe$page")->code, 200, 'main server: served');
