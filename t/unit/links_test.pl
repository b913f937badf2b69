#!/usr/bin/perl
# links_test.pl: every relative link and image in the project's Markdown files
# points at a file of the checkout (and a #fragment at a heading of it).
#
# The docs moved around once (issue #11) and a README whose pictures and links
# lead nowhere is found by readers, not by the suite; this finds it first.
# Checked: README.md, every README.md one or two folders down, conf/*.md and
# lua/*.md, or the files given as arguments.  Links to other sites (scheme:),
# and links that leave the checkout (../shared/SPEC.md, the project's contract,
# sits beside the checkout, not in it) are not checked.  Fenced code blocks and
# `code spans` are skipped, as Markdown does not make links there.
#
# Usage (from the top of the checkout): perl t/unit/links_test.pl [FILE.md...]
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(dirname);

my $top = getcwd();
my @files = @ARGV ? @ARGV
    : grep { -f } ('README.md', glob('*/README.md'), glob('*/*/README.md'),
                   glob('conf/*.md'), glob('lua/*.md'));
my %seen;
@files = grep { !$seen{$_}++ } @files;

# GitHub's anchors: lower case, punctuation other than - and _ dropped, spaces
# become -.
sub slug {
    my $h = lc shift;
    $h =~ s/`//g;
    $h =~ s/[^\w\- ]//g;
    $h =~ s/ /-/g;
    return $h;
}

# A path relative to the top, with "." and "dir/.." taken out (lexically:
# the checkout has no symbolic links that matter here).
sub normal {
    my @out;
    for my $part (split m{/+}, shift) {
        next if $part eq '.' || $part eq '';
        if ($part eq '..' && @out && $out[-1] ne '..') { pop @out }
        else { push @out, $part }
    }
    return join '/', @out;
}

my %anchors;
sub anchors_of {
    my $file = shift;
    return $anchors{$file} if $anchors{$file};
    my %a;
    open my $fh, '<:encoding(UTF-8)', $file or return $anchors{$file} = {};
    my $fence = 0;
    while (<$fh>) {
        $fence = !$fence if /^\s*```/;
        next if $fence;
        $a{slug($1)} = 1 if /^#+\s+(.*?)\s*$/;
    }
    return $anchors{$file} = \%a;
}

my ($checked, @bad) = (0);
for my $file (@files) {
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!\n";
    my ($fence, $n) = (0, 0);
    while (my $line = <$fh>) {
        $n++;
        if ($line =~ /^\s*```/) { $fence = !$fence; next }
        next if $fence;
        $line =~ s/`[^`]*`/``/g;
        while ($line =~ /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g) {
            my $target = $1;
            next if $target =~ /^[a-z][a-z0-9+.-]*:/i;
            my ($path, $frag) = split /#/, $target, 2;
            my $dest = normal($path eq '' ? $file : dirname($file) . "/$path");
            next if $dest =~ m{^\.\.(/|$)};    # outside the checkout
            my $abs = "$top/$dest";
            $checked++;
            if (!-e $abs) {
                push @bad, "$file:$n: $target: no such file";
            }
            elsif (defined $frag && $frag ne '' && $abs =~ /\.md$/
                   && !anchors_of($abs)->{$frag}) {
                push @bad, "$file:$n: $target: no heading #$frag";
            }
        }
    }
}

print "$_\n" for @bad;
printf "links: %d files, %d links, %d broken\n", scalar @files, $checked,
    scalar @bad;
exit(@bad ? 1 : 0);
