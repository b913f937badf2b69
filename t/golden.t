# Same behaviour (issue #14): every page kind in every language of the sample
# site ("/", the three shipped filters), of t/repo-related ("/rel"), of the
# sample site below a prefix ("/mounted/news") and without filters ("/plain")
# must come out byte for byte as the code before the render-speed work made
# it.  What it made is the corpus in t/golden/: one file per response body and
# t/golden/MANIFEST with the request, status, Content-Type and Location of each.
#
# The URL list is derived here from the repository files, so an article, tag
# or author added to a fixture is covered; the expected bodies are only ever
# read from the corpus.  A URL the list names and the corpus lacks (or the
# reverse) fails: the corpus is regenerated (`make golden-update`, which runs
# this file with ART_GOLDEN_UPDATE=1) only for an intended change of output,
# with the reason in the commit message.
#
# Headers other than the status, Content-Type and Location are not compared:
# Date, ETag and Last-Modified follow the clock and the staged files' times.
# httpd's own redirect bodies name the test server (host and port), which is
# written as "http://SERVER" in the corpus.
use utf8;
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest ();
use Apache::TestUtil qw(t_cmp);
use Encode ();
use File::Path ();
use URI::Escape ();
use lib "t/lib";
use ArticlesTest qw(request site_info sample_articles);

my $CORPUS = 't/golden';
my $UPDATE = $ENV{ART_GOLDEN_UPDATE} ? 1 : 0;
my $PAGE_SIZE = 3;    # ArticlesPageSize of "/" in t/conf/extra.conf.in

sub enc  { URI::Escape::uri_escape_utf8(shift) }
sub fold { my $t = lc shift; $t =~ s/\s+/-/g; $t }    # a tag's key (conf/repository.md)
sub pages { my $n = shift; $n ? int(($n + $PAGE_SIZE - 1) / $PAGE_SIZE) : 1 }

sub author_ids {
    my $repo = shift;
    open my $fh, '<:encoding(UTF-8)', "$repo/authors.xml" or die "$repo/authors.xml: $!";
    local $/;
    my $x = <$fh>;
    $x =~ s/<!--.*?-->//gs;
    return sort $x =~ /<author\s+id="([^"]+)"/g;
}

# Search queries per language: words of several scripts, with Arabic letter
# forms (ي) where Persian ones are indexed, one without a match and one made
# of HTML-special characters.
my %queries = (
    en => [ 'pakistan', 'pakistan afghanistan policy', 'Helmand river',
            'zzqxv-no-match', q{<b>"fish" & 'chips'</b>} ],
    de => [ 'Pakistan', 'Staudämme' ],
    fa => [ 'زبان دری', 'زبان دري', 'نوروز', 'هلمند' ],
    ps => [ 'پښتو', 'لنډۍ', 'ژبه' ],
);

# The cases of one location over one repository: [ path, Accept-Language ].
sub site_cases {
    my ($loc, $repo, %opt) = @_;
    my $site = site_info($repo);
    my @arts = sample_articles($repo);
    my @authors = author_ids($repo);
    my @langs = map { $_->{code} } @{ $site->{langs} };
    my @c;
    my $list = sub {    # a list page, its pager pages and its feed
        my ($path, $n, $feed) = @_;
        push @c, [ $path ];
        push @c, [ "$path?page=$_" ] for 2 .. pages($n);
        push @c, [ $path =~ m{/$} ? "${path}feed.atom" : "$path/feed.atom" ] if $feed;
    };
    push @c, [ "$loc/" ], [ "$loc/", 'fa' ], [ "$loc/", 'ps, en;q=0.5' ],
             [ "$loc/", 'xx' ], [ "$loc/no-such-page" ];
    push @c, [ "$loc/sitemap.xml" ], [ "$loc/sitemap-1.xml" ], [ "$loc/sitemap-news.xml" ];
    for my $lang (@langs) {
        my @mine = grep { $_->{lang} eq $lang } @arts;
        $list->("$loc/$lang/", scalar @mine, 1);
        my %colls = map { $_->{collection} => 1 } @arts;
        for my $coll (sort keys %colls) {
            $list->("$loc/$lang/$coll/", scalar(grep { $_->{collection} eq $coll } @mine), 1);
        }
        push @c, [ "$loc/$lang/authors/" ];
        for my $a (@authors) {
            $list->("$loc/$lang/authors/$a",
                    scalar(grep { grep { $_ eq $a } @{ $_->{authors} } } @mine), 1);
        }
        my %tags;
        for my $art (@mine) { $tags{ fold($_) }++ for @{ $art->{tags} } }
        $list->("$loc/$lang/tags/" . enc($_), $tags{$_}, 1) for sort keys %tags;
        push @c, [ "$loc/$lang/$_->{collection}/$_->{id}" ] for @mine;
        if ($opt{search}) {
            push @c, [ "$loc/$lang/search" ];
            push @c, [ "$loc/$lang/search?q=" . enc($_) ] for @{ $queries{$lang} // [] };
        }
        push @c, [ "$loc/$lang/no-such-page" ], [ "$loc/$lang/no-such-collection/" ];
    }
    # Search results past the first page.
    push @c, [ "$loc/en/search?q=pakistan&page=2" ] if $opt{search} && grep { $_ eq 'en' } @langs;
    return @c;
}

# The same sample site below a prefix and without filters: a few of each kind.
sub sample_cases {
    my $loc = shift;
    my ($seed) = grep { $_->{lang} eq 'fa' } sample_articles('conf/sample/repo');
    return ([ "$loc/" ], [ "$loc/", 'fa' ], [ "$loc/en/" ], [ "$loc/en/?page=2" ],
            [ "$loc/fa/$seed->{collection}/" ], [ "$loc/fa/$seed->{collection}/$seed->{id}" ],
            [ "$loc/en/european-languages/rethinking-pakistans-afghan-policy" ],
            [ "$loc/en/authors/" ], [ "$loc/en/authors/abbas-hashemite" ],
            [ "$loc/en/tags/pakistan" ], [ "$loc/en/feed.atom" ],
            [ "$loc/en/search?q=pakistan" ], [ "$loc/sitemap.xml" ],
            [ "$loc/en/no-such-page" ]);
}

my @cases = (site_cases('', 'conf/sample/repo', search => 1),
             site_cases('/rel', 't/repo-related', search => 1),
             sample_cases('/mounted/news'), sample_cases('/plain'));

# A case's key in the manifest and its corpus file (below $CORPUS): the path
# mirrored, "index" for a trailing slash, "@" for "?", the Accept-Language
# sent after "~", ".html" added when the last segment has no extension.
sub key_of { my ($path, $al) = @_; "$path\t" . ($al // '') }
sub file_of {
    my ($path, $al) = @_;
    my ($p, $q) = split /\?/, $path, 2;
    $p = "/root$p" unless $p =~ m{^/(?:rel|mounted/news|plain)(?:/|$)};
    $p =~ s{^/mounted/news}{/mounted-news};
    $p .= 'index' if $p =~ m{/$};
    $p .= '@' . $q if defined $q;
    if (defined $al) { (my $a = $al) =~ s/[^A-Za-z0-9.=-]+/_/g; $p .= "~$a" }
    $p .= '.html' unless $p =~ m{/[^/@~]+\.(?:xml|atom)$};
    # Bytes a file name should not hold (the queries' spaces, quotes, < >).
    $p =~ s{([^A-Za-z0-9/._@~=%&-])}{sprintf '%%%02X', ord $1}ge;
    return substr $p, 1;
}

my $server = Apache::TestRequest::resolve_url('');
$server =~ s{/+$}{};

# What the corpus holds: key => { status, type, location, file }.
sub read_manifest {
    my %m;
    open my $fh, '<:encoding(UTF-8)', "$CORPUS/MANIFEST" or return {};
    while (<$fh>) {
        chomp;
        next if /^#/ || !/\S/;
        my ($path, $al, $status, $type, $location, $file) = split /\t/, $_, -1;
        $m{"$path\t$al"} = { status => $status, type => $type, location => $location,
                             file => $file };
    }
    return \%m;
}

sub slurp_bytes {
    my $f = shift;
    open my $fh, '<:raw', $f or return undef;
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

# Where two bodies first differ: byte offset, line, and that line of each
# (cut to 160 bytes around the difference), never the whole page.
sub first_difference {
    my ($want, $got) = @_;
    my $i = 0;
    my $n = length($want) < length($got) ? length($want) : length($got);
    $i++ while $i < $n && substr($want, $i, 1) eq substr($got, $i, 1);
    my $line = 1 + (substr($want, 0, $i) =~ tr/\n//);
    my $start = rindex($want, "\n", $i - 1) + 1;
    my $col = $i - $start;
    my $cut = sub {
        my $s = shift;
        my $end = index($s, "\n", $start);
        my $l = substr($s, $start, ($end < 0 ? length($s) : $end) - $start);
        my $from = $col > 80 ? $col - 80 : 0;
        # Characters for the (UTF-8) terminal; a sequence cut at either end
        # shows as U+FFFD.
        my $piece = Encode::decode('UTF-8', substr($l, $from, 160));
        $piece =~ s/([\x00-\x1f\x7f])/sprintf '\\x%02x', ord $1/ge;
        return ($from ? '...' : '') . $piece;
    };
    return sprintf("first difference at byte %d (line %d, column %d); lengths %d stored, %d now\n"
                   . "  stored: %s\n  now:    %s",
                   $i, $line, $col + 1, length $want, length $got, $cut->($want), $cut->($got));
}

my %seen;
@cases = grep { !$seen{ key_of(@$_) }++ } @cases;
my $manifest = $UPDATE ? {} : read_manifest();

if ($UPDATE) {
    plan tests => scalar @cases;
    File::Path::remove_tree($CORPUS);
    File::Path::make_path($CORPUS);
    open my $mf, '>:encoding(UTF-8)', "$CORPUS/MANIFEST" or die "$CORPUS/MANIFEST: $!";
    print $mf "# Pages as rendered by the code before the render-speed work (t/golden.t).\n",
              "# Regenerated only for an intended change of output: make golden-update.\n",
              "# path\tAccept-Language\tstatus\tContent-Type\tLocation\tfile\n";
    for my $c (@cases) {
        my ($path, $al) = @$c;
        my $res = request(GET => $path, defined $al ? ('Accept-Language' => $al) : ());
        my $file = file_of($path, $al);
        my $body = $res->content;
        my $location = $res->header('Location') // '';
        s{\Q$server\E}{http://SERVER}g for $body, $location;
        File::Path::make_path("$CORPUS/$1") if $file =~ m{^(.*)/};
        open my $out, '>:raw', "$CORPUS/$file" or die "$CORPUS/$file: $!";
        print $out $body;
        close $out or die "$CORPUS/$file: $!";
        print $mf join("\t", $path, $al // '', $res->code, $res->header('Content-Type') // '',
                       $location, $file), "\n";
        ok t_cmp($res->header('Client-Warning') // 'answered', 'answered', "wrote $file");
    }
    close $mf or die "$CORPUS/MANIFEST: $!";
    exit 0;
}

my %listed = map { key_of(@$_) => 1 } @cases;
my @stale = grep { !$listed{$_} } sort keys %$manifest;
plan tests => @cases + 1;

for my $c (@cases) {
    my ($path, $al) = @$c;
    my $key = key_of($path, $al);
    my $what = $path . (defined $al ? " (Accept-Language: $al)" : '');
    my $m = $manifest->{$key};
    unless ($m) {
        ok t_cmp('not in the corpus', 'in the corpus',
                 "$what: not in t/golden/MANIFEST (a new page: make golden-update, if intended)");
        next;
    }
    my $res = request(GET => $path, defined $al ? ('Accept-Language' => $al) : ());
    my $body = $res->content;
    my $location = $res->header('Location') // '';
    s{\Q$server\E}{http://SERVER}g for $body, $location;
    my $want = slurp_bytes("$CORPUS/$m->{file}");
    my @why;
    push @why, "status $m->{status} stored, " . $res->code . ' now'
        if $res->code ne $m->{status};
    push @why, "Content-Type '$m->{type}' stored, '" . ($res->header('Content-Type') // '') . "' now"
        if ($res->header('Content-Type') // '') ne $m->{type};
    push @why, "Location '$m->{location}' stored, '$location' now" if $location ne $m->{location};
    if (!defined $want) {
        push @why, "$CORPUS/$m->{file} is missing";
    }
    elsif ($body ne $want) {
        push @why, "body differs from $CORPUS/$m->{file}: " . first_difference($want, $body);
    }
    # On STDERR, so the harness shows it without -verbose.
    print STDERR map { "# $_\n" } $what, map { split /\n/ } @why if @why;
    ok t_cmp(@why ? 'differs' : 'same', 'same', "$what is byte-identical to $CORPUS/$m->{file}");
}

ok t_cmp(join(' ', @stale), '', 't/golden/MANIFEST names no page the list no longer has');
