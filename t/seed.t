# The seed page: every line of the seed's text appears on the article page, in
# the seed's order (t/data/seed-000.txt is ../shared/seeds/000_cffcc0259fe4c2d0.txt).
use strict;
use warnings FATAL => 'all';

use Apache::Test;
use Apache::TestRequest qw(GET_BODY GET);
use Apache::TestUtil qw(t_cmp);
use Encode ();
use lib 't/lib';
use ArticlesTest qw(page_text normalize);

my $url = '/en/european-languages/rethinking-pakistans-afghan-policy';

open my $fh, '<:encoding(UTF-8)', 't/data/seed-000.txt' or die $!;
my @lines;
while (my $l = <$fh>) {
    $l = normalize($l);
    next if $l eq '';
    # The seed is a text rendering with Markdown escapes: "\$" for "$" and
    # "**-banned in Russia*" for the emphasised note "*-banned in Russia".
    $l =~ s/\\\$/\$/g;
    $l =~ s/^\*\*(.*)\*$/*$1/;
    push @lines, $l;
}
close $fh;

plan tests => @lines + 4;

my $res = GET $url;
ok t_cmp($res->code, 200, 'seed page answers 200');
my $text = page_text($res->content);

my $pos = 0;
for my $i (0 .. $#lines) {
    my $at = index $text, $lines[$i], $pos;
    ok t_cmp($at >= 0 ? 'found in order' : 'missing or out of order',
             'found in order', "seed line " . ($i + 1) . ": " .
             substr($lines[$i], 0, 60));
    $pos = $at + length $lines[$i] if $at >= 0;
}

my $html = Encode::decode('UTF-8', $res->content);
ok t_cmp($html, qr{<blockquote class="pull">The Afghan Taliban government needs to act},
         'pull quote is a blockquote');
ok t_cmp($html, qr{<h2>History of Pakistan-Afghanistan Relations</h2>},
         'subheadings are h2');
ok t_cmp($html, qr{<html lang="en" dir="ltr">}, 'html lang and dir');
