#!/usr/bin/env bash
# scripts/repo.sh: from the .deb built of the working tree and a throw-away key it makes a
# signed apt repository that apt accepts and reads (apt with a private configuration: nothing
# of this machine's apt is read or changed), whose signature is checked for real (a tampered
# index, a tampered Release or a foreign key's signature fail "apt-get update"), that keeps
# every version it was given, that a second run leaves as it is, and that refuses a rebuild
# under a version it holds. Usage errors are clear. Nothing is installed on this machine.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/deb-build.sh"

skip_all() { t_skip "the apt repository" "$1"; t_done; exit 0; }
t_is_root || skip_all "needs root (apt-get runs its fetchers as the user _apt)"
if tool=$(deb_missing_tool); then skip_all "$tool not found (apt-get install debhelper dpkg-dev git)"; fi
for tool in apt-ftparchive gpg gpgv gpgconf apt-get; do
    command -v "$tool" >/dev/null || skip_all "$tool not found (apt-get install apt-utils gnupg)"
done

REPO=$RK_SRC/scripts/repo.sh
V=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$RK_SRC/debian/changelog")

# ---- usage errors: status 2 and a message that says what is missing ----
# usage_error DESC STATUS PATTERN ARGS...: repo.sh ARGS exits with STATUS and says PATTERN.
usage_error() {
    local d=$1 want=$2 pat=$3 out rc
    shift 3
    out=$("$REPO" "$@" 2>&1)
    rc=$?
    if [ $rc -eq "$want" ] && grep -qE -- "$pat" <<<"$out"; then t_ok "$d"; else t_fail "$d" "status $rc: $out"; fi
}
usage_error "without --key: status 2, it says --key is required" 2 'key KEYID is required' "$T_TMP/x" /nonexistent.deb
usage_error "without a .deb: status 2, it asks for one" 2 'at least one \.deb' --key x "$T_TMP/x"
usage_error "an unknown option: status 2, named" 2 'unknown option "--frobnicate"' --frobnicate --key x "$T_TMP/x" a.deb
usage_error "a suite with a slash: status 2" 2 'not a plain name' --key x --suite ../etc "$T_TMP/x" a.deb
t_check "nothing was made by the refused runs" test ! -e "$T_TMP/x"

start=$(date +%s)
deb_build
t_check "dpkg-buildpackage builds the package ($DEB_BUILT, $(($(date +%s) - start)) s)" test -n "$DEB_FILE"
[ -n "$DEB_FILE" ] || { t_done; exit 1; }
arch=$(dpkg-deb -f "$DEB_FILE" Architecture)
t_check "the package's version is the changelog's ($V)" test "$(dpkg-deb -f "$DEB_FILE" Version)" = "$V"

G=$T_TMP/gnupg
fpr=$(deb_gpg_key "$G")
t_check "a throw-away signing key (${fpr:-none})" test -n "$fpr"
[ -n "$fpr" ] || { t_done; exit 1; }

usage_error "a key that is not in the keyring: status 1, said" 1 'matches 0 public keys' \
    --key 0000000000000000DEADBEEF --gnupghome "$G" "$T_TMP/x" "$DEB_FILE"
usage_error "a file that is not a package: status 1, said" 1 'is not a Debian package' \
    --key "$fpr" --gnupghome "$G" "$T_TMP/x" "$RK_SRC/README.md"

# ---- a repository with one package ----
OUT=$T_TMP/repo
out=$("$REPO" --key "$fpr" --gnupghome "$G" "$OUT" "$DEB_FILE" 2>&1)
deb_check_rc "repo.sh --key KEY OUT DEB makes the repository" $? "$out"
D=$OUT/dists/bookworm
P=$D/main/binary-$arch/Packages
pool_deb=$OUT/pool/main/r/rentark/rentark_${V#*:}_$arch.deb
t_check "the package is in pool/main/r/rentark/ as rentark_${V#*:}_$arch.deb" cmp -s "$DEB_FILE" "$pool_deb"
t_check "Packages and Packages.gz list it (Filename, Version, SHA256)" \
    bash -c 'grep -qx "Filename: pool/main/r/rentark/$(basename "$2")" "$1" && grep -qx "Version: $3" "$1" &&
             grep -qx "SHA256: $(sha256sum <"$2" | cut -d" " -f1)" "$1" && zcat "$1.gz" | cmp -s - "$1"' _ "$P" "$pool_deb" "$V"
t_check "Release has Origin, Label, Suite, Codename, Architectures, Components, Date" \
    bash -c 'for f in "Origin: rentark" "Label: rentark" "Suite: bookworm" "Codename: bookworm" \
                 "Architectures: $2" "Components: main"; do grep -qx "$f" "$1" || exit 1; done
             grep -qE "^Date: .+ [0-9]{4} [0-9:]{8} (UTC|\+0000)$" "$1"' _ "$D/Release" "$arch"
t_check "... and the SHA256 and SHA512 of Packages and Packages.gz" \
    bash -c 'for f in Packages Packages.gz; do
                 grep -qE "^ $(sha256sum <"$1/main/binary-$2/$f" | cut -d" " -f1) +[0-9]+ main/binary-$2/$f$" "$1/Release" &&
                 grep -qE "^ $(sha512sum <"$1/main/binary-$2/$f" | cut -d" " -f1) +[0-9]+ main/binary-$2/$f$" "$1/Release" || exit 1
             done' _ "$D" "$arch"
t_check "the public key is exported binary (not armoured) as rentark-archive-keyring.gpg" \
    bash -c 'test -s "$1" && ! grep -q "BEGIN PGP" "$1" && gpg --show-keys --with-colons "$1" 2>/dev/null | grep -q "^fpr:*$2:"' \
    _ "$OUT/rentark-archive-keyring.gpg" "$fpr"
t_check "gpgv --keyring rentark-archive-keyring.gpg InRelease: good" \
    gpgv --quiet --keyring "$OUT/rentark-archive-keyring.gpg" "$D/InRelease"
t_check "gpgv --keyring rentark-archive-keyring.gpg Release.gpg Release: good" \
    gpgv --quiet --keyring "$OUT/rentark-archive-keyring.gpg" "$D/Release.gpg" "$D/Release"
t_check "InRelease signs exactly Release" \
    bash -c 'gpg --batch --quiet --homedir "$1" --decrypt "$2/InRelease" 2>/dev/null | cmp -s - "$2/Release"' _ "$G" "$D"

# ---- apt with a configuration of its own ----
# apt_env NAME REPO: a private apt (APT_CONFIG) in $T_TMP/apt-NAME that knows only REPO, signed
# by REPO's exported key: not this machine's sources, keys, preferences, lists, cache, status
# or apt.conf. Its fetchers run as the user _apt, which needs a TMPDIR it may write (this
# machine's /tmp may not be one) and read access to REPO.
apt_env() {
    local a=$T_TMP/apt-$1
    mkdir -p "$a/empty" "$a/lists/partial" "$a/cache/archives/partial" "$a/state" "$a/dl"
    mkdir -p -m 1777 "$a/tmp" && chmod 1777 "$a/tmp" "$a/dl"
    : >"$a/status"
    echo "deb [signed-by=$2/rentark-archive-keyring.gpg] file://$2 bookworm main" >"$a/sources.list"
    cat >"$a/apt.conf" <<EOF
Dir::Etc::Main "/dev/null";
Dir::Etc::Parts "$a/empty";
Dir::Etc::SourceList "$a/sources.list";
Dir::Etc::SourceParts "$a/empty";
Dir::Etc::Trusted "/dev/null";
Dir::Etc::TrustedParts "$a/empty";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$a/empty";
Dir::State "$a/state";
Dir::State::Lists "$a/lists";
Dir::State::status "$a/status";
Dir::Cache "$a/cache";
Acquire::Languages "none";
EOF
    echo "$a"
}
# apt_in ENV CMD...: CMD with ENV's configuration.
apt_in() { local a=$1; shift; APT_CONFIG=$a/apt.conf TMPDIR=$a/tmp "$@"; }
# update_ok ENV: apt-get update succeeds with neither an error nor a warning.
update_ok() {
    local out rc
    out=$(apt_in "$1" apt-get update 2>&1)
    rc=$?
    [ $rc -eq 0 ] && ! grep -qE '^(W|E|Err):' <<<"$out" && return 0
    sed 's/^/#   /' <<<"$out" | tail -8
    return 1
}
# update_fails ENV PATTERN: apt-get update fails, saying PATTERN.
update_fails() {
    local out rc
    out=$(apt_in "$1" apt-get update 2>&1)
    rc=$?
    [ $rc -ne 0 ] && grep -qE -- "$2" <<<"$out" && return 0
    echo "# apt-get update: status $rc"; sed 's/^/#   /' <<<"$out" | tail -8
    return 1
}

A1=$(apt_env one "$OUT")
t_check "apt-get update reads the repository: no error, no warning" update_ok "$A1"
pol=$(apt_in "$A1" apt-cache policy rentark 2>&1)
t_check "apt-cache policy rentark: candidate $V from file:$OUT bookworm/main" \
    bash -c 'grep -qx "  Candidate: $2" <<<"$1" && grep -qE "^ +500 file:$3 bookworm/main $4 Packages$" <<<"$1"' _ "$pol" "$V" "$OUT" "$arch"
(cd "$A1/dl" && apt_in "$A1" apt-get -q download rentark) >"$T_TMP/download.log" 2>&1
t_check "apt-get download rentark fetches the pool's file" cmp -s "$A1/dl/$(basename "$pool_deb")" "$pool_deb"

# ---- the signature is checked ----
# A copy of the repository with an index that lies: another version in Packages (and
# Packages.gz made again from it), the Release left as signed.
cp -a "$OUT" "$T_TMP/tampered-index"
T=$T_TMP/tampered-index/dists/bookworm/main/binary-$arch
sed -i "s/^Version: .*/Version: 99.0/" "$T/Packages" && gzip -9n <"$T/Packages" >"$T/Packages.gz"
t_check "a tampered Packages fails apt-get update (hash sum mismatch)" \
    update_fails "$(apt_env tampered-index "$T_TMP/tampered-index")" 'Hash Sum mismatch|File has unexpected size'
# A Release changed after signing.
cp -a "$OUT" "$T_TMP/tampered-release"
sed -i 's/^Label: rentark$/Label: rentark-evil/' "$T_TMP/tampered-release/dists/bookworm/InRelease"
t_check "a tampered InRelease fails apt-get update (bad signature)" \
    update_fails "$(apt_env tampered-release "$T_TMP/tampered-release")" 'BADSIG|not signed|signatures were invalid'
# The same Release signed again with another key.
fpr2=$(deb_gpg_key "$T_TMP/gnupg-other")
cp -a "$OUT" "$T_TMP/foreign"
F=$T_TMP/foreign/dists/bookworm
gpg --homedir "$T_TMP/gnupg-other" --batch --yes --quiet --local-user "$fpr2" --digest-algo SHA512 \
    --clearsign -o "$F/InRelease" "$F/Release" 2>/dev/null &&
    gpg --homedir "$T_TMP/gnupg-other" --batch --yes --quiet --local-user "$fpr2" --digest-algo SHA512 \
        --armor --detach-sign -o "$F/Release.gpg" "$F/Release" 2>/dev/null
t_check "a Release signed with another key fails apt-get update (no public key)" \
    update_fails "$(apt_env foreign "$T_TMP/foreign")" 'NO_PUBKEY|not signed'

# ---- a newer package; a second run; a rebuild under a known version ----
V2=$V+t1
deb_repack "$DEB_FILE" "$V2" "$T_TMP/rentark_${V2#*:}_$arch.deb"
old_pkgs=$(cat "$P")
out=$("$REPO" --key "$fpr" --gnupghome "$G" --suite bookworm --component main "$OUT" "$T_TMP/rentark_${V2#*:}_$arch.deb" 2>&1)
deb_check_rc "repo.sh with a newer package ($V2)" $? "$out"
t_check "... the pool keeps the older one" cmp -s "$DEB_FILE" "$pool_deb"
t_check "... Packages lists both versions" \
    bash -c 'test "$(grep -c "^Package: rentark$" "$1")" = 2 && grep -qx "Version: $2" "$1" && grep -qx "Version: $3" "$1"' _ "$P" "$V" "$V2"
t_check "... InRelease verifies with the keyring" gpgv --quiet --keyring "$OUT/rentark-archive-keyring.gpg" "$D/InRelease"
A2=$(apt_env two "$OUT")
t_check "... apt-get update reads it" update_ok "$A2"
pol=$(apt_in "$A2" apt-cache policy rentark 2>&1)
t_check "... apt-cache policy: candidate $V2, $V in the table too" \
    bash -c 'grep -qx "  Candidate: $2" <<<"$1" && grep -qE "^ +$3 500$" <<<"$1"' _ "$pol" "$V2" "$(sed 's/[.+]/\\&/g' <<<"$V")"
# The same packages once more: the indices are the same, the signature new and good.
cp "$P" "$T_TMP/Packages.before"
out=$("$REPO" --key "$fpr" --gnupghome "$G" "$OUT" "$DEB_FILE" "$T_TMP/rentark_${V2#*:}_$arch.deb" 2>&1)
deb_check_rc "repo.sh again with the same packages" $? "$out"
t_check "... says they are in the pool already" test "$(grep -c 'is in the pool already' <<<"$out")" = 2
t_check "... Packages is unchanged" cmp -s "$T_TMP/Packages.before" "$P"
t_check "... InRelease verifies with the keyring again" \
    bash -c 'gpgv --quiet --keyring "$1/rentark-archive-keyring.gpg" "$1/dists/bookworm/InRelease" 2>/dev/null' _ "$OUT"
t_check "... apt-get update reads it again" update_ok "$A2"
# Another file under the name rentark_V2_ARCH.deb: a rebuild without a new version.
rm -rf "$T_TMP/rebuild" && mkdir -p "$T_TMP/rebuild" &&
    dpkg-deb -R "$T_TMP/rentark_${V2#*:}_$arch.deb" "$T_TMP/rebuild/x" &&
    sed -i 's/^Description: .*/& (rebuilt)/' "$T_TMP/rebuild/x/DEBIAN/control" &&
    dpkg-deb --root-owner-group -Zxz -b "$T_TMP/rebuild/x" "$T_TMP/rebuild/rentark_${V2#*:}_$arch.deb" >/dev/null
cp "$P" "$T_TMP/Packages.before"
usage_error "a different package under a version the pool has: refused (status 1)" 1 'give a rebuild a new version' \
    --key "$fpr" --gnupghome "$G" "$OUT" "$T_TMP/rebuild/rentark_${V2#*:}_$arch.deb"
t_check "... and the repository is left as it was" cmp -s "$T_TMP/Packages.before" "$P"
t_check "repo.sh leaves no temporary files in the repository" \
    test -z "$(find "$OUT" -name '*.tmp' -o -name '.*.new' -o -name '.*.old' -o -name '.keyring.new')"

t_done
