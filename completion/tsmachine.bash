# bash completion for tsmachine(1)                          -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/tsmachine.

# Container names: the state directories, so completing does not start Node.
_tsmachine_containers()
{
    local dir=${TSMACHINE_STATE_DIR:-/var/lib/tsmachine}/containers
    [[ -d $dir ]] || return 0
    local -a names=()
    local d
    for d in "$dir"/*/; do
        [[ -d $d ]] || continue
        d=${d%/}
        names+=("${d##*/}")
    done
    COMPREPLY+=($(compgen -W "${names[*]}" -- "$cur"))
}

# Image names from `tsmachine images --json` (pretty-printed, one "name" a line),
# falling back to nspawn's image directory if tsmachine cannot answer.
_tsmachine_images()
{
    local names
    names=$(tsmachine images --json 2>/dev/null | sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p')
    if [[ -z $names ]]; then
        local d
        for d in "${TSMACHINE_MACHINES_DIR:-/var/lib/machines}"/*/; do
            [[ -d $d ]] && d=${d%/} && names+=" ${d##*/}"
        done
    fi
    COMPREPLY+=($(compgen -W "$names" -- "$cur"))
}

_tsmachine()
{
    local cur prev words cword
    _init_completion -n : || return

    local verbs='start run stop kill rm restart exec list status logs update images config enable disable import rmi image'
    local container_opts='--image --cpus --memory -m --pids-limit --cpuset-cpus --io-weight --hostname --env -e --bind -v --workdir -w --user -u --private-users --seccomp --no-new-privileges --lxcfs --cap-add --cap-drop --privileged --device --shm-size --network --ip --publish -p --dns'
    # The verb is the first word that is not an option.
    local i verb='' verb_at=0
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} != -* ]]; then
            verb=${words[i]}
            verb_at=$i
            break
        fi
    done

    if [[ -z $verb ]]; then
        COMPREPLY=($(compgen -W "$verbs --help --version" -- "$cur"))
        return
    fi

    # After `--` comes the payload's command line: complete commands and files.
    for ((i = verb_at + 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
    done

    # Options that take a value, per verb (-t is --time for stop, --tty for run/exec).
    local with_arg
    case $verb in
        start | run) with_arg='--image --cpus --memory -m --pids-limit --cpuset-cpus --io-weight --hostname --env -e --bind -v --workdir -w --user -u --private-users --seccomp --lxcfs --cap-add --cap-drop --device --shm-size --network --ip --publish -p --dns' ;;
        stop | restart) with_arg='--time -t' ;;
        kill) with_arg='--signal -s' ;;
        exec) with_arg='--env -e --user -u' ;;
        logs) with_arg='--lines -n' ;;
        update) with_arg='--cpus --memory -m --pids-limit' ;;
        import) with_arg='--name' ;;
        *) with_arg='' ;;
    esac

    if [[ " $with_arg " == *" $prev "* ]]; then
        case $prev in
            --image) _tsmachine_images ;;
            --network)
                COMPREPLY=($(compgen -W 'bridge none host macvlan: ipvlan:' -- "$cur"))
                [[ ${COMPREPLY[0]-} == *: ]] && compopt -o nospace ;;
            --seccomp) COMPREPLY=($(compgen -W 'default unconfined' -- "$cur")) ;;
            --lxcfs) COMPREPLY=($(compgen -W 'auto yes no' -- "$cur")) ;;
            --bind | -v | --workdir | -w) _filedir ;;
            --signal | -s) COMPREPLY=($(compgen -W 'TERM KILL HUP INT QUIT USR1 USR2 STOP CONT' -- "$cur")) ;;
        esac
        # Sizes, counts, ports and addresses have nothing to offer.
        return
    fi

    local opts='' names=container
    case $verb in
        start) opts="$container_opts --keep-unit --help" ;;
        run) opts="$container_opts --rm --interactive -i --tty -t --help" ;;
        stop | restart) opts='--time -t --help' ;;
        kill) opts='--signal -s --help' ;;
        rm) opts='--force -f --help' ;;
        exec) opts='--interactive -i --tty -t --env -e --user -u --help' ;;
        list | ps) opts='--all -a --json --help' names='' ;;
        status | inspect) opts='--json --help' ;;
        logs) opts='--follow -f --lines -n --help' ;;
        update) opts='--cpus --memory -m --pids-limit --help' ;;
        images) opts='--json --help' names='' ;;
        config | enable | disable) opts='--help' ;;
        import) opts='--name --help' names=file ;;
        rmi) opts='--force --help' names=image ;;
        image)
            if ((cword == verb_at + 1)); then
                COMPREPLY=($(compgen -W 'inspect prune' -- "$cur"))
            elif [[ ${words[verb_at + 1]} == inspect ]] && ((cword == verb_at + 2)); then
                _tsmachine_images
            fi
            return ;;
        *) return ;;
    esac

    # Where the first positional (the NAME) is, if it was typed already.
    local name_at=0
    for ((i = verb_at + 1; i < cword; i++)); do
        [[ ${words[i]} == -* ]] && continue
        [[ " $with_arg " == *" ${words[i - 1]} "* ]] && continue
        name_at=$i
        break
    done

    # exec NAME CMD...: the rest is the command run inside, options included.
    if ((name_at > 0)) && [[ $verb == exec ]]; then
        _command_offset $((name_at + 1))
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    # Only the first positional is a name.
    ((name_at > 0)) && return

    case $names in
        container) _tsmachine_containers ;;
        image) _tsmachine_images ;;
        file) _filedir ;;
    esac
} &&
    complete -F _tsmachine tsmachine

# ex: filetype=sh
