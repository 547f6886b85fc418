from engine.docgen import main

raise SystemExit(main())
