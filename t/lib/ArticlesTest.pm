# Helpers shared by the mod_articles Apache::Test files.
package ArticlesTest;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
our @EXPORT_OK = qw(page_text decode_entities normalize stage error_log_since
                    error_log_size);

use Encode ();

# Test descriptions carry Persian and Pashto text.
binmode STDOUT, ':encoding(UTF-8)';
binmode STDERR, ':encoding(UTF-8)';

# Decode the entities the module and its templates produce.
sub decode_entities {
    my $s = shift;
    $s =~ s/&#x([0-9a-fA-F]+);/chr(hex $1)/ge;
    $s =~ s/&#(\d+);/chr($1)/ge;
    my %e = (amp => '&', lt => '<', gt => '>', quot => '"', apos => "'",
             nbsp => "\x{a0}");
    $s =~ s/&(amp|lt|gt|quot|apos|nbsp);/$e{$1}/g;
    return $s;
}

# White space runs to one space, trimmed.
sub normalize {
    my $s = shift;
    $s =~ s/\s+/ /g;
    $s =~ s/^ | $//g;
    return $s;
}

# The visible text of an HTML page (UTF-8 bytes in, characters out): the
# <head> and tags removed, entities decoded, white space normalised.
sub page_text {
    my $html = Encode::decode('UTF-8', shift);
    $html =~ s{<head>.*?</head>}{}s;
    $html =~ s{<[^>]*>}{ }g;
    return normalize(decode_entities($html));
}

sub stage { $ENV{ART_STAGE} or die "ART_STAGE is not set: run t/run-tests\n" }

# The error log, read from a byte offset on (to see only what a test caused).
sub error_log_size {
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    return -s $log || 0;
}

sub error_log_since {
    my $offset = shift;
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $offset, 0;
    local $/;
    my $text = <$fh>;
    return defined $text ? $text : '';
}

1;
