# How ArticlesFilter lists combine: a location that names no filter inherits its
# parent's, `ArticlesFilter none` clears them, a location that names filters
# replaces the list, and FILE NAME picks one function of a file.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET_BODY);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';

plan tests => 6;

my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';

my $root = GET_BODY($seed);
ok t_cmp($root, qr{<section class="related">}, '/ runs related.lua');
ok t_cmp($root, qr{<time datetime="2025-03-31">31\.03\.2025</time>},
         '/ runs language.lua (dateline date)');

my $mounted = GET_BODY("/mounted/news$seed");
ok t_cmp($mounted, qr{<section class="related">}, 'a child location inherits the filters');

my $plain = GET_BODY("/plain$seed");
ok t_cmp($plain !~ /<section class="related">/ ? 'no related block' : 'related block',
         'no related block', 'ArticlesFilter none clears the inherited list');
ok t_cmp($plain, qr{<time datetime="2025-03-31">2025-03-31</time>},
         'and language.lua did not run either');

my $multi = GET_BODY("/lua/multi/en/");
ok t_cmp($multi, qr{<p class="tagline"[^>]*>second</p>}, 'FILE NAME picks the named function');
