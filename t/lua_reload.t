# Editing a filter, or a module it requires, takes effect without a restart;
# the rebuilt state keeps no global of the old code; a syntax error gives 500
# until the file is fixed, and the fixed file is picked up by itself.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(stage logged_request server_error poll_until);

plan tests => 6;

my $dir = stage() . '/scratch';
my $url = '/lua/reload/en/';

# The tagline the filter set, or for an error what server_error says of it.
sub tagline {
    my ($res, $log) = logged_request(GET => $url);
    return server_error($res, $log) unless $res->code == 200;
    my ($t) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
    return $t // 'no tagline';
}

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh $text;
    close $fh;
}

# Every state of every process must pick up the change: eight answers in a
# row say $want.  The check compares modification times and sizes once per
# reload interval (1 s in t/conf/extra.conf.in), so the answers are asked for
# until a deadline; what they said last is returned.
sub all_say {
    my ($want) = @_;
    my $said;
    poll_until(20, sub {
        my %seen = map { tagline() => 1 } 1 .. 8;
        $said = join(',', sort keys %seen);
        return $said eq $want;
    });
    return $said;
}

ok t_cmp(all_say('filter-v1 module-v1'), 'filter-v1 module-v1', 'initial filter');

write_file('reload_mod.lua', qq{return { version = "module-v2" }\n});
ok t_cmp(all_say('filter-v1 module-v2'), 'filter-v1 module-v2',
         'a changed required module is reloaded');

write_file('reload.lua', <<'LUA');
legacy = "from v2"
local mod = require "reload_mod"
return function(page) page.site.tagline = "filter-v2 " .. mod.version end
LUA
ok t_cmp(all_say('filter-v2 module-v2'), 'filter-v2 module-v2',
         'a changed filter is reloaded');

write_file('reload.lua', <<'LUA');
return function(page) page.site.tagline = "filter-v3 legacy=" .. tostring(legacy) end
LUA
ok t_cmp(all_say('filter-v3 legacy=nil'), 'filter-v3 legacy=nil',
         'no global survives a reload');

write_file('reload.lua', "return function(page) if then end\n");
ok t_cmp(all_say('server 500'), 'server 500', 'a syntax error gives httpd\'s 500, logged');

write_file('reload.lua', <<'LUA');
return function(page) page.site.tagline = "filter-v4 fixed" end
LUA
ok t_cmp(all_say('filter-v4 fixed'), 'filter-v4 fixed', 'the fixed filter is picked up');
