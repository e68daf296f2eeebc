/** The shape of the CLI's command table (cli-definitions.ts), shared by the files that hold its parts. */
export interface OptionDefinition {
  /** Without the leading `--`. */
  readonly name: string;
  /** The value's placeholder (`<file>`); absent for a switch. */
  readonly value?: string;
  /** Shown without brackets in the command's synopsis. */
  readonly required?: boolean;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
}

export interface CommandDefinition {
  /** As typed, words separated by a space: `clients reap`. */
  readonly name: string;
  /** Positional arguments as the synopsis shows them: `<client_id>`. */
  readonly arguments?: string;
  readonly options?: readonly OptionDefinition[];
  readonly description: string;
}

export interface OptionGroup {
  readonly title: string;
  readonly note: string;
  readonly options: readonly OptionDefinition[];
}
