// The script of pages that seal nothing: quick exit and the language switcher only.
import { leaveQuietly } from "./exit.js";

leaveQuietly();
