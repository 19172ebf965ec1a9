#!/usr/bin/env bash
# Builds a signed apt repository from rentark's .deb files, for kiosks to install and upgrade
# from (apt, unattended-upgrades, the Ansible role's rentark_apt_repo):
#
#   scripts/repo.sh --key KEYID [--gnupghome DIR] [--suite bookworm] [--component main]
#                   [--origin rentark] [--label rentark] OUTDIR DEB...
#
# OUTDIR gets
#   pool/COMPONENT/r/rentark/PACKAGE_VERSION_ARCH.deb   every package ever added (kept)
#   dists/SUITE/COMPONENT/binary-ARCH/Packages{,.gz}     all of them, for each architecture
#   dists/SUITE/Release                                  Origin, Label, Suite, Codename, Date,
#                                                        Architectures, Components, checksums
#   dists/SUITE/InRelease, dists/SUITE/Release.gpg       Release signed by KEYID (clear, detached)
#   rentark-archive-keyring.gpg                          KEYID's public key, binary, for signed-by=
# Publish OUTDIR as it is (a web server's folder, or file:// for a test) and point the kiosks at
# it with "deb [signed-by=/usr/share/keyrings/rentark-archive-keyring.gpg] URL SUITE COMPONENT".
#
# Run it again with a newer .deb: the older ones stay in the pool and in Packages (apt installs
# the newest; an older one stays at hand for a pinned downgrade), the indices are made again
# from the whole pool and signed again. Adding a file that is there already changes nothing;
# a different file under a name the pool has already (a rebuild without a new version in
# debian/changelog) is refused: kiosks that have that version would never get the rebuild.
# One OUTDIR holds one suite: the pool is the suite's. OUTDIR/.repo.lock lets one run at a time
# work on it.
#
# Needs apt-ftparchive (apt-utils), gpg and gpgv (gnupg), dpkg-deb. KEYID's secret key must be
# in the keyring (GNUPGHOME or --gnupghome), usable without a prompt or through gpg-agent.
set -euo pipefail

me=repo.sh
usage() { sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }
usage_error() { printf '%s: %s (see --help)\n' "$me" "$*" >&2; exit 2; }

key= gnupghome= suite=bookworm component=main origin=rentark label=rentark
args=()
while [ $# -gt 0 ]; do
    case $1 in
        --key) [ $# -ge 2 ] || usage_error "--key needs a value"; key=$2; shift ;;
        --key=*) key=${1#*=} ;;
        --gnupghome) [ $# -ge 2 ] || usage_error "--gnupghome needs a value"; gnupghome=$2; shift ;;
        --gnupghome=*) gnupghome=${1#*=} ;;
        --suite) [ $# -ge 2 ] || usage_error "--suite needs a value"; suite=$2; shift ;;
        --suite=*) suite=${1#*=} ;;
        --component) [ $# -ge 2 ] || usage_error "--component needs a value"; component=$2; shift ;;
        --component=*) component=${1#*=} ;;
        --origin) [ $# -ge 2 ] || usage_error "--origin needs a value"; origin=$2; shift ;;
        --origin=*) origin=${1#*=} ;;
        --label) [ $# -ge 2 ] || usage_error "--label needs a value"; label=$2; shift ;;
        --label=*) label=${1#*=} ;;
        -h|--help) usage; exit 0 ;;
        --) shift; args+=("$@"); break ;;
        -*) usage_error "unknown option \"$1\"" ;;
        *) args+=("$1") ;;
    esac
    shift
done
[ -n "$key" ] || usage_error "--key KEYID is required (the gpg key that signs the repository)"
[ ${#args[@]} -ge 2 ] || usage_error "give the repository folder and at least one .deb: $me --key KEYID OUTDIR DEB..."
out=${args[0]}
debs=("${args[@]:1}")
# Names that become folders and fields: letters, digits and . _ + - only (no "/" nor "..").
name_ok() { [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; }
name_ok "$suite" || usage_error "--suite \"$suite\" is not a plain name (letters, digits, . _ + -)"
name_ok "$component" || usage_error "--component \"$component\" is not a plain name (letters, digits, . _ + -)"
[[ $origin$label =~ ^[[:print:]]+$ ]] || usage_error "--origin and --label must be printable, on one line"

for t in apt-ftparchive gpg gpgv dpkg-deb gzip flock; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install apt-utils gnupg dpkg)"
done

gpg_cmd=(gpg --batch --no-tty --quiet)
[ -z "$gnupghome" ] || gpg_cmd+=(--homedir "$gnupghome")
# One key, and its secret part at hand: KEYID that matches two keys would sign with one and
# export both, and a key without its secret part signs nothing.
n=$("${gpg_cmd[@]}" --with-colons --list-keys -- "$key" 2>/dev/null | grep -c '^pub:') || true
[ "$n" = 1 ] || die "the key \"$key\" matches $n public keys in the keyring${gnupghome:+ $gnupghome} (need exactly one)"
"${gpg_cmd[@]}" --with-colons --list-secret-keys -- "$key" >/dev/null 2>&1 ||
    die "the secret key of \"$key\" is not in the keyring${gnupghome:+ $gnupghome}: it cannot sign"

# Every package is read before anything is written: a bad argument leaves the repository as
# it was.
pool_names=() pool_dirs=()
for d in "${debs[@]}"; do
    [ -f "$d" ] || die "\"$d\" is not a file"
    fields=$(dpkg-deb -f "$d" Package Version Architecture Source 2>/dev/null) ||
        die "\"$d\" is not a Debian package (dpkg-deb cannot read it)"
    pkg=$(sed -n 's/^Package: //p' <<<"$fields")
    ver=$(sed -n 's/^Version: //p' <<<"$fields")
    arch=$(sed -n 's/^Architecture: //p' <<<"$fields")
    src=$(sed -n 's/^Source: \([^ ]*\).*/\1/p' <<<"$fields")
    src=${src:-$pkg}
    name_ok "$pkg" && name_ok "$src" && name_ok "$arch" && [[ $ver =~ ^[A-Za-z0-9.+~:-]+$ ]] ||
        die "\"$d\" has no valid Package, Version or Architecture field"
    # Debian's pool layout: pool/COMPONENT/r/rentark/, lib* sources under their first four
    # letters; the file named as apt-ftparchive --arch expects (PACKAGE_VERSION_ARCH.deb,
    # the version without its epoch).
    case $src in lib?*) prefix=${src:0:4} ;; *) prefix=${src:0:1} ;; esac
    pool_dirs+=("pool/$component/$prefix/$src")
    pool_names+=("${pkg}_${ver#*:}_$arch.deb")
done

mkdir -p "$out" || die "cannot make the folder \"$out\""
out=$(cd "$out" && pwd)
# Two runs on one folder at once would mix their indices.
exec 8>"$out/.repo.lock"
flock -n 8 || die "another repo.sh is working on \"$out\" (.repo.lock)"
if [ -d "$out/dists" ]; then
    for s in "$out"/dists/*/; do
        s=$(basename "$s")
        [ "$s" = "$suite" ] || [ "$s" = '*' ] ||
            die "\"$out\" holds the suite \"$s\" already: one repository folder per suite (its pool is the suite's)"
    done
fi

for i in "${!debs[@]}"; do
    dir=$out/${pool_dirs[$i]} dest=$out/${pool_dirs[$i]}/${pool_names[$i]}
    if [ -e "$dest" ]; then
        cmp -s "${debs[$i]}" "$dest" ||
            die "the pool has another ${pool_names[$i]} already: give a rebuild a new version (debian/changelog)"
        echo "$me: ${pool_names[$i]} is in the pool already"
        continue
    fi
    mkdir -p "$dir" && cp "${debs[$i]}" "$dest.tmp" && chmod 0644 "$dest.tmp" && mv "$dest.tmp" "$dest" ||
        die "cannot copy \"${debs[$i]}\" into \"$dir\""
    echo "$me: added ${pool_names[$i]}"
done

# The indices are made anew from the whole pool in a folder beside dists/SUITE and take its
# place at the end, so that a run that fails half-way leaves the last signed state.
cd "$out"
new=dists/.$suite.new
rm -rf "$new" "dists/.$suite.old"
mkdir -p "$new"
archs=$(find pool -type f -name '*.deb' | sed -n 's/.*_\([^_]*\)\.deb$/\1/p' | grep -vx all | sort -u | tr '\n' ' ')
archs=${archs% }
[ -n "$archs" ] || archs=$(dpkg --print-architecture)
components=$(find pool -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')
components=${components% }
for c in $components; do
    for a in $archs; do
        d=$new/$c/binary-$a
        mkdir -p "$d"
        # --arch: the packages of this architecture and those of "all".
        apt-ftparchive --arch "$a" packages "pool/$c" >"$d/Packages" 2>"$d/.err" ||
            die "apt-ftparchive packages pool/$c failed: $(cat "$d/.err")"
        rm -f "$d/.err"
        # -n: no name or time in the header, so that the same Packages gives the same .gz.
        gzip -9n <"$d/Packages" >"$d/Packages.gz"
    done
done
apt-ftparchive \
    -o APT::FTPArchive::Release::Origin="$origin" \
    -o APT::FTPArchive::Release::Label="$label" \
    -o APT::FTPArchive::Release::Suite="$suite" \
    -o APT::FTPArchive::Release::Codename="$suite" \
    -o APT::FTPArchive::Release::Architectures="$archs" \
    -o APT::FTPArchive::Release::Components="$components" \
    -o APT::FTPArchive::Release::Description="$label packages for Debian $suite" \
    release "$new" >"dists/.$suite.Release" || die "apt-ftparchive release failed"
mv "dists/.$suite.Release" "$new/Release"

# SHA512: apt refuses signatures made with SHA-1.
sign=("${gpg_cmd[@]}" --yes --digest-algo SHA512 --local-user "$key")
"${sign[@]}" --clearsign -o "$new/InRelease" "$new/Release" || die "gpg could not sign with \"$key\""
"${sign[@]}" --armor --detach-sign -o "$new/Release.gpg" "$new/Release" || die "gpg could not sign with \"$key\""
"${gpg_cmd[@]}" --export --export-options export-minimal -o "$out/.keyring.new" -- "$key" &&
    [ -s "$out/.keyring.new" ] || die "gpg could not export the public key of \"$key\""
# The check a kiosk's apt makes: the signature against the published key alone.
gpgv --quiet --keyring "$out/.keyring.new" "$new/InRelease" 2>/dev/null &&
    gpgv --quiet --keyring "$out/.keyring.new" "$new/Release.gpg" "$new/Release" 2>/dev/null ||
    die "the signatures do not verify with the exported key of \"$key\""

chmod -R u=rwX,go=rX "$new" "$out/.keyring.new"
mv "$out/.keyring.new" "$out/rentark-archive-keyring.gpg"
if [ -d "dists/$suite" ]; then
    mv "dists/$suite" "dists/.$suite.old"
fi
mv "$new" "dists/$suite"
rm -rf "dists/.$suite.old"

n=$(find pool -type f -name '*.deb' | wc -l)
echo "$me: $out: suite $suite, components $components, architectures $archs, package files: $n, signed by $key"
