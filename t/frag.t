# Sections kept rendered (art_mustache.c, tpl_frag_t): a section over one of
# the page model's pristine tables is written from what an earlier request
# rendered only while everything its body reads from outside the table is
# what it was then.  t/lua/frag.lua sets those outside names anew on every
# request (X-Frag says to what); every page must show its own values, never
# an earlier page's.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(QUICK);

Apache::TestRequest::user_agent(reset => 1, timeout => 6 * QUICK);

my $seed = '/frag/en/european-languages/rethinking-pakistans-afghan-policy';

plan tests => 17;

# The items of a page's <t>, <o>, <l>, <a>, <b> or <s> line.
sub items {
    my ($body, $tag) = @_;
    my ($line) = $body =~ m{<$tag>(.*)</$tag>};
    return defined $line ? [$line =~ /\[([^\]]*)\]/g] : [];
}

sub said {
    my ($res, $word) = @_;
    my ($v) = ($res->header('X-Frag') // '') =~ /\b$word=(\S+)/;
    return $v;
}

my $plain = GET($seed);
ok t_cmp($plain->code, 200, 'the test template renders');
my $body = $plain->content;
my $titles = items($body, 't');
ok t_cmp(scalar(@$titles) >= 2 && scalar(@{items($body, 'o')}) >= 5
         && scalar(@{items($body, 'l')}) >= 2 ? 'all' : "missing: $body", 'all',
         'site titles, og pairs and languages are listed');

my $views = items($body, 'v');
ok t_cmp(scalar(@$views) == 2 && $views->[0] =~ m{^/frag/en/european-languages/rethinking-pakistans-afghan-policy\|\|[^|;]+;}
         ? 'as written' : "@$views", 'as written',
         'article views: their URL under the mount prefix and their authors');

my $same = 0;
$same += GET($seed)->content eq $body for 1 .. 12;
ok t_cmp($same, 12, 'the plain page again and again: the same bytes');

# Each check runs over many requests, plain ones in between, so that every
# Lua state sees a section kept from a request whose values differ.
sub check {
    my ($args, $what, $test) = @_;
    my @bad;
    for my $i (1 .. 16) {
        my $res = GET($i % 4 ? "$seed?$args" : $seed);
        my $err = $res->code == 200 ? $test->($res, $res->content, $i % 4)
                                    : "status " . $res->code;
        push @bad, $err if defined $err;
    }
    ok t_cmp(scalar(@bad) ? $bad[0] : 'each page its own', 'each page its own', $what);
}

# A test of check: column $col of the <$tag> line's items is what X-Frag
# says of $word on the pages that set it, empty on the others.
sub column_is {
    my ($tag, $col, $word) = @_;
    return sub {
        my ($res, $b, $set) = @_;
        my $want = $set ? said($res, $word) : '';
        my @got = map { (split /\|/, $_, -1)[$col] // '' } @{items($b, $tag)};
        my @wrong = grep { $_ ne $want } @got;
        return @wrong || !@got ? "$word '$want', page has '@got'" : undef;
    };
}

check('mark', 'a string an item lacks (site.titles, mark)', column_is('t', 1, 'mark'));

check('mark', 'a string a list of article views lacks (views, mark)',
      column_is('v', 1, 'mark'));

check('mark', 'a string an article view lacks (article, mark)', column_is('w', 0, 'mark'));

# The partial's lines, as items: mark, site title, title languages, tick.
sub part_items {
    my ($body) = @_;
    return [$body =~ m{^ *<p>\[([^\]]*)\]</p>$}mg];
}

check('mark+tick', 'a partial: every name it reads, each time', sub {
    my ($res, $b, $set) = @_;
    my ($m, $t) = $set ? (said($res, 'mark'), said($res, 'tick')) : ('', '');
    my @got = @{part_items($b)};
    my @wrong = grep { !/^\Q$m\E\|[^|]+\|[a-z]+\|\Q$t\E$/ } @got;
    return @wrong || @got != 2 ? "'$m' and '$t', page has '@got'" : undef;
});

check('flag', 'a boolean an item lacks, as a section (flag)', sub {
    my ($res, $b, $set) = @_;
    my $want = $set && said($res, 'flag') eq 'true' ? 'F' : '';
    my @got = map { (split /\|/, $_, -1)[2] } @{items($b, 't')};
    my @wrong = grep { $_ ne $want } @got;
    return @wrong ? "flag '$want', page has '@got'" : undef;
});

check('tick', 'a number an item lacks (og, tick)', column_is('o', 1, 'tick'));

check('lam', 'a lambda in the body (languages, lam): never kept',
      column_is('l', 1, 'lam'));

check('obj', 'a dotted name read outside (alternates, obj.k)',
      column_is('a', 1, 'obj'));

check('obj', 'a section over a table from outside (obj, one table changed each time)',
      column_is('b', 0, 'obj'));

check('big', 'a long string read outside (site.titles, big)',
      column_is('s', 0, 'big'));

check('mark+tick+flag', 'several names at once', sub {
    my ($res, $b, $set) = @_;
    my ($m, $t) = $set ? (said($res, 'mark'), said($res, 'tick')) : ('', '');
    my $f = $set && said($res, 'flag') eq 'true' ? 'F' : '';
    my @got = (map({ join '|', (split /\|/, $_, -1)[1, 2] } @{items($b, 't')}),
               map({ (split /\|/, $_, -1)[1] } @{items($b, 'o')}));
    my @wrong = grep { $_ ne "$m|$f" && $_ ne $t } @got;
    return @wrong ? "'$m|$f' and '$t', page has '@got'" : undef;
});

# A filter that changes a pristine table exposes it: its page shows the
# change, and the pages after it the module's table again.
check('touch', 'a filter changes og: that page shows it, the next ones do not', sub {
    my ($res, $b, $set) = @_;
    my $first = (split /\|/, items($b, 'o')->[0] // '', -1)[0];
    my $want = $set ? said($res, 'touch') : 'og:type';
    return $first eq $want ? undef : "first og property '$want', page has '$first'";
});

my $after = 0;
$after += GET($seed)->content eq $body for 1 .. 12;
ok t_cmp($after, 12, 'after all that, the plain page is the same bytes as at first');
