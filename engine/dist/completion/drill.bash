# drill.bash - bash completion for drill (installed as
# share/bash-completion/completions/drill). It keeps no list of its own: the
# commands come from `drill --help`, each command's options from
# `drill COMMAND --help`, and drill names from `drill list --names`, so it
# cannot drift from the binary it completes.

# _drill_commands: the command names of the "Commands:" block of --help.
_drill_commands()
{
    "$1" --help 2>/dev/null | awk '/^Commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}'
}

# _drill_options DRILL COMMAND: the --long options COMMAND's help defines:
# those of its usage line ("[--db STORE]") and of its option lines
# ("  -t, --topology FILE"), not the ones its prose merely mentions.
_drill_options()
{
    { echo --help
      "$1" "$2" --help 2>/dev/null |
          grep -oE -- '^usage:.*|^ +(-[a-zA-Z], +)?--[a-z][a-z-]*' |
          grep -oE -- '--[a-z][a-z-]*'; } | sort -u
}

_drill()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local bin=${COMP_WORDS[0]} cmd=${COMP_WORDS[1]:-}
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$(_drill_commands "$bin") --help --version" -- "$cur"))
        return 0
    fi
    case $prev in
        -t|--topology|--db|--junit|--html|--manifest)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --sandbox-dir|--dir)
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --progress)
            COMPREPLY=($(compgen -W "auto tty lines quiet" -- "$cur")); return 0 ;;
        --operator|--change-ref|--limit|--expect-head|--set|--measure)
            return 0 ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_drill_options "$bin" "$cmd")" -- "$cur"))
        return 0
    fi
    case $cmd in
        run|validate|history)
            COMPREPLY=($(compgen -W "$("$bin" list --names 2>/dev/null)" -- "$cur"))
            [ "$cmd" = history ] || COMPREPLY+=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -d -S / -- "$cur"))
            ;;
        sandbox)
            [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "up down status" -- "$cur")) ;;
    esac
    return 0
}
complete -F _drill drill
