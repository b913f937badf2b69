# Editing a filter, or a module it requires, takes effect without a restart;
# the rebuilt state keeps no global of the old code; a syntax error gives 500
# until the file is fixed, and the fixed file is picked up by itself.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use Time::HiRes qw(sleep);
use lib 't/lib';
use ArticlesTest qw(stage);

plan tests => 6;

my $dir = stage() . '/scratch';
my $url = '/lua/reload/en/';

sub tagline {
    my $res = GET $url;
    return $res->code unless $res->code == 200;
    my ($t) = $res->content =~ m{<p class="tagline"[^>]*>([^<]*)</p>};
    return $t // 'no tagline';
}

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh $text;
    close $fh;
    # The check compares modification times and sizes; step past the
    # reload interval (1 s in t/conf/extra.conf.in) before asking again.
    sleep 1.3;
}

# Every state of every process must pick up the change: ask several times.
sub all_say {
    my ($want) = @_;
    my %seen = map { tagline() => 1 } 1 .. 8;
    return join(',', sort keys %seen) eq $want ? $want : join(',', sort keys %seen);
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
ok t_cmp(all_say('500'), '500', 'a syntax error gives 500');

write_file('reload.lua', <<'LUA');
return function(page) page.site.tagline = "filter-v4 fixed" end
LUA
ok t_cmp(all_say('filter-v4 fixed'), 'filter-v4 fixed', 'the fixed filter is picked up');
