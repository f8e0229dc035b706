from patchlens.cli import main

raise SystemExit(main())
