# Related links (issue #6) on t/repo-related, served at /rel with the shipped
# filters: pinned articles first in document order, then scored ones; the
# same language only; never the article itself or its translations; text
# similarity finds an article that shares no tag; a pin to nothing is one
# ART0114 warning and the article is still served.  Then the seed page of
# the sample site, whose related links come from scoring alone.
use utf8;
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib "t/lib";
use ArticlesTest qw(error_log_since);

plan tests => 13;

# The article paths listed under "More on this topic", in order.
sub related_of {
    my $url = shift;
    my $res = GET $url;
    my ($section) = $res->content =~ m{<section class="related">(.*?)</section>}s;
    return ($res, [ ($section // '') =~ m{<li[^>]*><a href="([^"]+)"}g ]);
}

my ($res, $rel) = related_of('/rel/en/topics/hub');
ok t_cmp($res->code, 200, 'an article with a pin to nothing is served');
ok t_cmp(join(',', @$rel[0, 1]), '/rel/en/topics/pinned-b,/rel/en/topics/pinned-a',
         'pinned articles first, in document order');
ok t_cmp(scalar(grep { $_ eq '/rel/en/topics/hub' } @$rel), 0, 'never the article itself');
ok t_cmp(scalar(grep { !m{^/rel/en/} } @$rel), 0,
         'same language only: not the German translation, not the Dari article with the same tags');
ok t_cmp(scalar(grep { $_ eq '/rel/en/topics/kin-tags' } @$rel), 1, 'an article sharing both tags is listed');
ok t_cmp(scalar(grep { $_ eq '/rel/en/topics/kin-text' } @$rel), 1,
         'an article with nearly the same text and no common tag is listed');
ok t_cmp(scalar(grep { $_ eq '/rel/en/topics/stranger' } @$rel), 0,
         'an article sharing nothing is not');
my %seen;
ok t_cmp(scalar(grep { $seen{$_}++ } @$rel), 0, 'no article twice');

# The warning is logged each time the repository loads (at start-up here):
# one line for each load of repo-related, the only repository of the suite
# with a dangling ref, each naming hub.xml and the ref.
my $log = error_log_since(0);
my @warn = $log =~ /(ART0114:[^\n]*)/g;
my $loads = () = $log =~ m{ART0002: loaded \S*/repo-related:}g;
my $hub = grep { m{/repo-related/topics/hub\.xml:.*'no-such-article'} } @warn;
ok t_cmp($loads >= 1 && $hub == $loads && @warn == $loads
         ? 'one a load' : scalar(@warn) . " warnings over $loads loads: @warn",
         'one a load', 'ART0114 names the ref that names nothing, once a load');
ok t_cmp(scalar(grep { /'hub'/ } @warn), 0, 'a ref to the article itself is dropped without a warning');

# A pinned article is not pinned back: pinned-a's related links are scored.
($res, $rel) = related_of('/rel/en/topics/pinned-a');
ok t_cmp($res->code . ' ' . (@$rel ? 'with related links' : 'none'),
         '200 with related links', 'pinned-a is served with related links');
ok t_cmp(scalar(grep { $_ eq '/rel/en/topics/hub' } @$rel), 0, 'pins are one-way');

# The seed page: related links chosen by scoring, English articles of the
# sample site other than the seed.
my $seed = '/en/european-languages/rethinking-pakistans-afghan-policy';
($res, $rel) = related_of($seed);
ok t_cmp(scalar(@$rel) > 0 && !grep({ !m{^/en/} || $_ eq $seed } @$rel) ? 'scored list' : "@$rel",
         'scored list', 'the seed article lists other English articles');
