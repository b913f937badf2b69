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
# Waits poll until a deadline (poll_until), never for a fixed time.
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET);
use Apache::TestUtil qw(t_cmp);
use lib 't/lib';
use ArticlesTest qw(stage write_utf8 poll_until);

plan tests => 11;

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
