# Helpers shared by the mod_articles Apache::Test files.
package ArticlesTest;

use strict;
use warnings FATAL => 'all';

use Exporter 'import';
our @EXPORT_OK = qw(page_text decode_entities normalize stage error_log_since
                    error_log_size site_info sample_articles request links
                    html_of bad_repo_cases run_cmd write_utf8
                    logged_request server_error QUICK quick timed poll_until
                    served_by spread_requests);

use Encode ();
use Time::HiRes ();

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

# Requests to $url on fresh connections, four clients at a time, until the
# error-log lines tagged $tag since the call come from two or more processes
# (under prefork; one round otherwise) or a minute has passed.  Returns the
# requests sent, the processes seen and the log text.
sub spread_requests {
    my ($url, $tag) = @_;
    require LWP::UserAgent;
    require Time::HiRes;
    my $offset = error_log_size();
    my ($sent, %pids, $log) = (0);
    my $deadline = Time::HiRes::time() + 60;
    while (Time::HiRes::time() < $deadline) {
        my @kids;
        for (1 .. 4) {
            my $pid = fork // die "fork: $!";
            if ($pid == 0) {
                my $ua = LWP::UserAgent->new(keep_alive => 0, timeout => 30);
                $ua->get($url) for 1 .. 3;
                exit 0;
            }
            push @kids, $pid;
        }
        waitpid $_, 0 for @kids;
        $sent += 12;
        $log = error_log_since($offset);
        %pids = map { $_ => 1 } $log =~ /\[pid (\d+)[^\]]*\][^\n]*\Q$tag\E/g;
        last if keys %pids >= 2 || ($ENV{ART_MPM} // '') ne 'prefork';
    }
    return ($sent, scalar(keys %pids), $log);
}

# ---------------------------------------------------------------- fixtures

# Write text (characters) to a file as UTF-8, readable by the server's user.
sub write_utf8 {
    my ($file, $text) = @_;
    open my $fh, '>:encoding(UTF-8)', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
    chmod 0644, $file;
}

# Read a file as characters (UTF-8).
sub slurp_utf8 {
    my $file = shift;
    open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!";
    local $/;
    my $s = <$fh>;
    return $s;
}

sub xml_text {
    my $s = shift;
    $s =~ s/<[^>]*>//g;
    return normalize(decode_entities($s));
}

# What site.xml says (a small reader for the simple, fixed format):
# { url, default_lang, langs => [ { code, dir, name } ], dir => { code => dir },
#   strings => { lang => { key => text } } }.
sub site_info {
    my $repo = shift || 'conf/sample/repo';
    my $x = slurp_utf8("$repo/site.xml");
    $x =~ s/<!--.*?-->//gs;
    my %site;
    ($site{default_lang}) = $x =~ /<site\b[^>]*\bdefault-lang="([^"]+)"/;
    ($site{url}) = $x =~ m{<url>\s*(.*?)\s*</url>}s;
    $site{url} =~ s{/+$}{} if defined $site{url};
    while ($x =~ /<language\b([^>]*)>/g) {
        my $a = $1;
        my %l = map { $a =~ /\b$_="([^"]*)"/ ? ($_ => $1) : () } qw(code dir name);
        push @{ $site{langs} }, \%l;
        $site{dir}{ $l{code} } = $l{dir};
    }
    while ($x =~ m{<strings\b[^>]*xml:lang="([^"]+)"[^>]*>(.*?)</strings>}gs) {
        my ($lang, $body) = ($1, $2);
        while ($body =~ m{<string\b[^>]*key="([^"]+)"[^>]*>(.*?)</string>}gs) {
            $site{strings}{$lang}{$1} = xml_text($2);
        }
    }
    return \%site;
}

# Every article file of a repository (names starting with . or _ and files
# not ending in .xml are ignored, as the loader does):
# [ { file, collection, id, lang, published, translation, title, tags => [],
#     authors => [ author ids ] } ].
sub sample_articles {
    my $repo = shift || 'conf/sample/repo';
    my @out;
    opendir my $dh, $repo or die "$repo: $!";
    for my $coll (sort grep { !/^[._]/ && -d "$repo/$_" } readdir $dh) {
        my @todo = ("$repo/$coll");
        while (my $dir = shift @todo) {
            opendir my $d, $dir or die "$dir: $!";
            for my $n (sort grep { !/^[._]/ } readdir $d) {
                my $f = "$dir/$n";
                if (-d $f) { push @todo, $f; next }
                next if $n !~ /\.xml$/ || $n eq 'collection.xml';
                my $x = slurp_utf8($f);
                $x =~ s/<!--.*?-->//gs;
                my ($attrs) = $x =~ /<article\b([^>]*)>/ or next;
                my %a = (file => $f, collection => $coll);
                for my $k (qw(id published updated translation)) {
                    $a{$k} = $1 if $attrs =~ /\b$k="([^"]*)"/;
                }
                ($a{lang}) = $attrs =~ /\bxml:lang="([^"]*)"/;
                ($a{title}) = map { xml_text($_) } $x =~ m{<title>(.*?)</title>}s;
                $a{tags} = [ map { xml_text($_) } $x =~ m{<tag>(.*?)</tag>}gs ];
                $a{authors} = [ $x =~ m{<author\s+ref="([^"]+)"}g ];
                push @out, \%a;
            }
        }
    }
    return @out;
}

# ---------------------------------------------------------------- HTTP

# Any method, any headers, no redirects followed (Apache::TestRequest's GET
# follows them; routing tests must see them): request('DELETE', '/en/',
# 'Accept-Language' => 'fa').  The path is sent as given (already escaped).
sub request {
    my ($method, $path, @headers) = @_;
    require Apache::TestRequest;
    require HTTP::Request;
    my $ua = Apache::TestRequest::user_agent();
    my $req = HTTP::Request->new($method => Apache::TestRequest::resolve_url($path),
                                 [@headers]);
    return $ua->simple_request($req);
}

# The body of a response as characters.
sub html_of {
    my $res = shift;
    return Encode::decode('UTF-8', $res->content);
}

# Every URL-valued attribute of an HTML document (characters in):
# [ { tag, attr, value, rel, hreflang } ], entities decoded.
sub links {
    my $html = shift;
    require HTML::Parser;
    my @out;
    my $p = HTML::Parser->new(
        api_version => 3,
        start_h => [ sub {
            my ($tag, $attr) = @_;
            for my $k (qw(href src action)) {
                next unless exists $attr->{$k};
                push @out, { tag => $tag, attr => $k, value => $attr->{$k},
                             rel => $attr->{rel}, hreflang => $attr->{hreflang} };
            }
        }, 'tagname, attr' ]);
    $p->utf8_mode(0);
    $p->parse($html);
    $p->eof;
    return @out;
}

# The response to request(@_) and the error log lines it caused.
sub logged_request {
    my $offset = error_log_size();
    my $res = request(@_);
    return ($res, error_log_since($offset));
}

# 'server 500' when $res is the generic 500 page httpd itself sent for a Lua
# filter error and $log (the error log lines of the request) holds the ART02xx
# line saying why; otherwise what it is instead.  When a child dies or drops
# the connection, the Perl client makes up a 500 of its own, marked by a
# Client-Warning header: the status alone would count a crash as a pass.
sub server_error {
    my ($res, $log) = @_;
    my $cw = $res->header('Client-Warning');
    if (defined $cw) {
        my ($first) = split /\n/, $res->content // '';
        return "made up by the client ($cw): " . ($first // '');
    }
    return 'status ' . $res->code if $res->code != 500;
    return 'not httpd\'s 500 page: ' . substr($res->content, 0, 200)
        unless $res->content =~ m{<title>500 Internal Server Error</title>};
    return 'no ART02xx line logged' unless ($log // '') =~ /\bART02\d\d: /;
    return 'server 500';
}

# ---------------------------------------------------------------- timing

# The wall-clock bound of work that must be quick.  What it guards against
# (a budget not enforced, a quadratic parse of a hostile header) takes many
# seconds or never ends; the budgets of t/conf/extra.conf.in are 300 ms, and a
# 2-core machine at load 10 still answers such a request in well under this.
use constant QUICK => 5;

# How long $code took (seconds), and what it returned.
sub timed {
    my $code = shift;
    my $t0 = Time::HiRes::time();
    my @r = $code->();
    return (Time::HiRes::time() - $t0, @r);
}

# 'quick' when $took is within QUICK seconds, otherwise how long it was.
sub quick {
    my $took = shift;
    return $took < QUICK ? 'quick' : sprintf('%.2f s', $took);
}

# Call $probe until it returns a true value or $seconds have passed, and
# return its last value.  Edits reach each process when its watcher next
# looks (ArticlesReloadInterval 1 here), so tests wait for what they can see
# instead of sleeping a fixed time that a loaded machine can overrun.
sub poll_until {
    my ($seconds, $probe) = @_;
    my $deadline = Time::HiRes::time() + $seconds;
    while (1) {
        my $v = $probe->();
        return $v if $v || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.2);
    }
}

# The pid of the process that served the request carrying header
# X-Test-Req: $id, from t/logs/pid_log (t/conf/extra.conf.in).  httpd writes
# the line after sending the response, so it is waited for.
sub served_by {
    my $id = shift;
    my $log = Apache::Test::vars('t_logs') . '/pid_log';
    my $pid = poll_until(10, sub {
        open my $fh, '<', $log or return;
        while (<$fh>) {
            return $1 if /^(\d+) \Q$id\E$/;
        }
        return;
    });
    return $pid // 'unknown';
}

# ---------------------------------------------------------------- t/repo-bad

# Tags the loader logs (README "Log tags are stable"), by bad file.
my %bad_tag = (
    'not-well-formed.xml'  => 'ART0102',
    'doctype.xml'          => 'ART0103',
    'billion-laughs.xml'   => 'ART0103',
    'external-entity.xml'  => 'ART0103',
    'schema-violation.xml' => 'ART0104',
    'bad-href.xml'         => 'ART0104',
    'bad-id.xml'           => 'ART0104',
    'duplicate-id.xml'     => 'ART0105',
    'unknown-author.xml'   => 'ART0106',
    'unknown-language.xml' => 'ART0107',
    'too-large.xml'        => 'ART0108',
    'translation-twice.xml' => 'ART0105',
);

# The bad files of t/repo-bad with what t/repo-bad/README says about them:
# [ { file => 'news/bad/x.xml', name, line (undef: none), tag, id, lang } ],
# in file-name order; too-large.xml (made by t/run-tests) included.
sub bad_repo_cases {
    my $src = shift || 't/repo-bad';
    my %line;
    for (split /\n/, slurp_utf8("$src/README")) {
        $line{$1} = $2 if m{^(news/bad/[\w.-]+\.xml)\s+(\d+)\s};
    }
    my @cases;
    opendir my $dh, "$src/news/bad" or die "$src/news/bad: $!";
    my @names = grep { /\.xml$/ } readdir $dh;
    push @names, 'too-large.xml' unless grep { $_ eq 'too-large.xml' } @names;
    for my $n (sort @names) {
        my $file = "news/bad/$n";
        my %c = (file => $file, name => $n, line => $line{$file},
                 tag => $bad_tag{$n});
        if (-e "$src/$file") {
            my $x = slurp_utf8("$src/$file");
            ($c{id})   = $x =~ /<article\b[^>]*\bid="([^"]*)"/;
            ($c{lang}) = $x =~ /<article\b[^>]*\bxml:lang="([^"]*)"/;
        }
        else {
            @c{qw(id lang)} = ('too-large', 'en');
        }
        push @cases, \%c;
    }
    return @cases;
}

# ---------------------------------------------------------------- commands

# Run a command (no shell); returns (exit status, stdout, stderr), outputs as
# bytes.  Exit status is -1 when it could not be started or died of a signal.
sub run_cmd {
    my @argv = @_;
    require File::Temp;
    my $out = File::Temp->new;
    my $err = File::Temp->new;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', $out or die;
        open STDERR, '>&', $err or die;
        exec { $argv[0] } @argv or do { print STDERR "exec $argv[0]: $!\n"; exit 127 };
    }
    waitpid $pid, 0;
    my $rc = $? & 127 ? -1 : $? >> 8;
    my @r = ($rc);
    for my $fh ($out, $err) {
        open my $in, '<', $fh->filename or die;
        local $/;
        my $s = <$in>;
        push @r, defined $s ? $s : '';
    }
    return @r;
}

1;
