# RFC 7386 JSON Merge Patch in jq (jq's own `*` is a deep merge that keeps nulls and never deletes,
# so it is not the same thing): objects merge member by member, a null member removes the key, and any
# non-object patch replaces the target whole.
def mergepatch($target; $patch):
  if ($patch | type) == "object" then
    reduce ($patch | keys_unsorted[]) as $k
      (if ($target | type) == "object" then $target else {} end;
       if $patch[$k] == null then del(.[$k])
       else .[$k] = mergepatch(.[$k]; $patch[$k]) end)
  else $patch end;

# The state of stream $stream after its last event with version <= $version (all events when $version is
# null), folded from {} in file order: the default projection, as chronoscope-cli state computes it.
reduce (inputs | select(.stream == $stream and ($version == null or .version <= $version)) | .data) as $d
  ({}; mergepatch(.; $d))
